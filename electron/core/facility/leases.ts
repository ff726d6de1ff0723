import type pg from 'pg';
import { captureQueue } from './queue.js';

/**
 * Which of the jobs a worker took it still holds: active, with the retry count they had when it
 * took them (pg-boss counts one more each time an expired job is taken again). Locked until the
 * transaction ends, so expiry cannot take them away between this check and their completion.
 */
export async function heldJobs(client: pg.ClientBase, leases: Map<string, number>): Promise<Set<string>> {
  const rows = await client.query<{ id: string }>(
    `SELECT j.id::text AS id FROM pgboss.job j
     JOIN unnest($2::uuid[], $3::int[]) AS h (id, retry_count) ON j.id = h.id AND j.retry_count = h.retry_count
     WHERE j.name = $1 AND j.state = 'active'
     FOR UPDATE OF j`,
    [captureQueue, [...leases.keys()], [...leases.values()]],
  );
  return new Set(rows.rows.map((r) => r.id));
}
