import type pg from 'pg';
import { captureQueue, deadLetterQueue } from './queue.js';

export interface FacilityStatus {
  /** Capture jobs by state: waiting (created or to be retried) and held by a worker now. */
  queue: { waiting: number; retrying: number; active: number };
  /** Workers that said they were alive within `aliveMs`. */
  workers: Array<{
    name: string;
    host: string;
    provider: string;
    done: number;
    failed: number;
    lastSeenMs: number;
  }>;
  /** Captures finished (classified or found invalid) per minute over the last five minutes. */
  perMinute: number;
  /** Jobs that ran out of retries, with the reason of their last failure. */
  deadLetters: Array<{ sha256: string; reason: string; failedAt: number | null }>;
  /** Captures found invalid, with their reason. */
  invalid: number;
}

/** A worker silent for longer than this is counted as gone (workers beat every 5 s). */
export const aliveMs = 30_000;
const windowMinutes = 5;

/** Why a failed job failed, from pg-boss's output of it: our `{ reason }`, or its own expiry message. */
function reasonOf(output: unknown): string {
  const o = (output ?? {}) as { reason?: unknown; message?: unknown; value?: { message?: unknown } };
  const reason = o.reason ?? o.message ?? o.value?.message;
  return typeof reason === 'string' ? reason : 'No reason was recorded.';
}

/** One look at the facility, for `metascope facility status`. */
export async function facilityStatus(pool: pg.Pool, now = Date.now()): Promise<FacilityStatus> {
  const states = await pool.query<{ state: string; n: number }>(
    'SELECT state::text, count(*)::int AS n FROM pgboss.job WHERE name = $1 GROUP BY state',
    [captureQueue],
  );
  const count = (state: string) => states.rows.find((r) => r.state === state)?.n ?? 0;
  const workers = await pool.query<{
    name: string;
    host: string;
    provider: string;
    done: number;
    failed: number;
    heartbeat_at: string;
  }>(
    'SELECT name, host, provider, done, failed, heartbeat_at FROM workers WHERE heartbeat_at > $1 ORDER BY name',
    [now - aliveMs],
  );
  const since = now - windowMinutes * 60_000;
  const finished = await pool.query<{ n: number }>(
    `SELECT (SELECT count(*) FROM results WHERE classified_at > $1)
          + (SELECT count(*) FROM captures WHERE state = 'failed' AND updated_at > $1) AS n`,
    [since],
  );
  // The jobs of the dead-letter queue are copies; the reason is on the original's last failure.
  const dead = await pool.query<{ sha256: string; output: unknown; failed_at: Date | null }>(
    `SELECT d.data->>'sha256' AS sha256, f.output, f.completed_on AS failed_at
     FROM pgboss.job d
     LEFT JOIN LATERAL (
       SELECT output, completed_on FROM pgboss.job WHERE name = $1 AND state = 'failed' AND data->>'sha256' = d.data->>'sha256'
       UNION ALL
       SELECT output, completed_on FROM pgboss.archive WHERE name = $1 AND state = 'failed' AND data->>'sha256' = d.data->>'sha256'
       ORDER BY completed_on DESC LIMIT 1
     ) f ON true
     WHERE d.name = $2 AND d.state < 'completed'
     ORDER BY d.created_on`,
    [captureQueue, deadLetterQueue],
  );
  const invalid = await pool.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM captures WHERE state = 'failed'",
  );
  return {
    queue: { waiting: count('created'), retrying: count('retry'), active: count('active') },
    workers: workers.rows.map((w) => ({
      name: w.name,
      host: w.host,
      provider: w.provider,
      done: w.done,
      failed: w.failed,
      lastSeenMs: now - Number(w.heartbeat_at),
    })),
    perMinute: Number(finished.rows[0]?.n ?? 0) / windowMinutes,
    deadLetters: dead.rows.map((d) => ({
      sha256: d.sha256,
      reason: reasonOf(d.output),
      failedAt: d.failed_at?.getTime() ?? null,
    })),
    invalid: invalid.rows[0]?.n ?? 0,
  };
}
