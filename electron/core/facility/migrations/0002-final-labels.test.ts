import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateFacility } from '../migrate.js';
import { noPostgresReason, postgresBin, startTestPostgres, type TestPostgres } from '../testing/postgres.js';
import { facilityMigration0001 } from './0001-initial.js';

const bin = postgresBin();
if (!bin) console.warn(noPostgresReason);
const sha = (n: number) => n.toString(16).padStart(64, '0');

describe.skipIf(!bin)('facility migration 0002 (final labels)', () => {
  let server: TestPostgres;
  let client: pg.Client;
  let address: string;
  beforeAll(async () => {
    server = await startTestPostgres();
    address = await server.freshDatabase();
    client = new pg.Client({ connectionString: address });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await server?.stop();
  });

  const labels = async () =>
    (await client.query('SELECT final_label, reviewed FROM results ORDER BY id')).rows.map(
      (r) => `${r.final_label}${r.reviewed ? ' (reviewed)' : ''}`,
    );

  it('gives results stored before it their final label, and keeps it as reviews come and go', async () => {
    await migrateFacility(client, [facilityMigration0001]);
    await client.query('SET search_path TO metascope');
    const capture = async (n: number) =>
      (
        await client.query(
          "INSERT INTO captures (sha256, name, size, state, first_seen_at, updated_at) VALUES ($1, 'a.tif', 1, 'done', 0, 0) RETURNING id",
          [sha(n)],
        )
      ).rows[0].id as string;
    await client.query(`INSERT INTO models (id, version, sha256, name, classes, added_at) VALUES ('m', '1', 'h', 'M', '[]', 0)`);
    const result = (captureId: string, className: string, modelSha = 'h') =>
      client.query(
        `INSERT INTO results (capture_id, model_id, model_version, model_sha256, probabilities, class_name, probability,
           provider, preprocessing, app_version, duration_ms, classified_at, analysis, in_scope, uncertain, worker)
         VALUES ($1, 'm', '1', $3, '{}', $2, 0.5, 'cpu', '{}', '0.1.0', 1, 0, 'one-cell', true, false, 'gpu-1')`,
        [captureId, className, modelSha],
      );
    const [first, second] = [await capture(1), await capture(2)];
    await result(first, 'healthy');
    await result(second, 'healthy');
    await client.query("INSERT INTO reviews (capture_id, label, reviewer, created_at) VALUES ($1, 'infected', 'Ada', 0)", [first]);

    await client.query('RESET search_path');
    expect(await migrateFacility(client)).toBe(2);
    await client.query('SET search_path TO metascope');
    expect(await labels()).toEqual(['infected (reviewed)', 'healthy']);

    const review = (captureId: string, label: string, withdraws: string | null = null) =>
      client.query(
        "INSERT INTO reviews (capture_id, label, reviewer, created_at, withdraws) VALUES ($1, $2, 'Grace', 0, $3) RETURNING id",
        [captureId, label, withdraws],
      );
    const corrected = (await review(second, 'infected')).rows[0].id as string;
    expect(await labels()).toEqual(['infected (reviewed)', 'infected (reviewed)']);
    // An undo is a withdrawal row: the capture falls back to the model's class and the review stays on record.
    await review(second, '', corrected);
    expect(await labels()).toEqual(['infected (reviewed)', 'healthy']);
    await expect(review(second, '', corrected)).rejects.toThrow(/reviews_withdrawals/);
    // A result added later (a second model) starts from the standing review.
    await client.query(`INSERT INTO models (id, version, sha256, name, classes, added_at) VALUES ('m', '1', 'h2', 'M', '[]', 0)`);
    await result(first, 'healthy', 'h2');
    expect(await labels()).toEqual(['infected (reviewed)', 'healthy', 'infected (reviewed)']);
    expect((await client.query('SELECT count(*)::int AS n FROM reviews')).rows[0].n).toBe(3);
  });

  it('keeps where a capture was seen on its result when a sighting and the result are written at once, either first', async () => {
    await client.query('SET search_path TO metascope');
    const other = new pg.Client({ connectionString: address });
    await other.connect();
    await other.query('SET search_path TO metascope');
    try {
      const capture = async (n: number) =>
        (
          await client.query(
            "INSERT INTO captures (sha256, name, size, state, first_seen_at, updated_at) VALUES ($1, 'a.tif', 1, 'queued', 0, 0) RETURNING id",
            [sha(n)],
          )
        ).rows[0].id as string;
      const sighting = (on: pg.Client, id: string, workstation: string) =>
        on.query("INSERT INTO capture_sightings (capture_id, workstation, microscope, path, seen_at) VALUES ($1, $2, '', '/x', 0)", [id, workstation]);
      const result = (on: pg.Client, id: string) =>
        on.query(
          `INSERT INTO results (capture_id, model_id, model_version, model_sha256, probabilities, class_name, probability,
             provider, preprocessing, app_version, duration_ms, classified_at, analysis, in_scope, uncertain, worker)
           VALUES ($1, 'm', '1', 'h', '{}', 'a', 0.5, 'cpu', '{}', '0.1.0', 1, 0, 'one-cell', true, false, 'gpu-1')`,
          [id],
        );
      const places = async (id: string) => (await client.query('SELECT places FROM results WHERE capture_id = $1', [id])).rows[0].places;
      for (const [n, first] of [[10, 'result'], [11, 'sighting']] as const) {
        const id = await capture(n);
        await sighting(client, id, 'ws-a');
        // The worker's transaction (client) and the second workstation's (other) overlap.
        await client.query('BEGIN');
        await other.query('BEGIN');
        let waiting: Promise<unknown>;
        if (first === 'result') {
          await result(client, id);
          waiting = sighting(other, id, 'ws-b');
          await new Promise((r) => setTimeout(r, 200));
          await client.query('COMMIT');
          await waiting;
          await other.query('COMMIT');
        } else {
          await sighting(other, id, 'ws-b');
          waiting = result(client, id);
          await new Promise((r) => setTimeout(r, 200));
          await other.query('COMMIT');
          await waiting;
          await client.query('COMMIT');
        }
        expect(await places(id), `${first} first`).toEqual(['workstation:ws-a', 'workstation:ws-b']);
      }
    } finally {
      await other.end();
    }
  });
});
