import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { facilitySchemaVersion, migrateFacility, FacilitySchemaError } from '../migrate.js';
import { facilityMigration0001 } from './0001-initial.js';

const upTo1 = [facilityMigration0001];
import { noPostgresReason, postgresBin, startTestPostgres, type TestPostgres } from '../testing/postgres.js';

const bin = postgresBin();
if (!bin) console.warn(noPostgresReason);
const sha = (n: number) => n.toString(16).padStart(64, '0');

describe.skipIf(!bin)('facility migration 0001 (initial)', () => {
  let server: TestPostgres;
  beforeAll(async () => {
    server = await startTestPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function fresh(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: await server.freshDatabase() });
    await client.connect();
    return client;
  }

  it('steps the schema from 0 to 1, and a second run changes nothing', async () => {
    const client = await fresh();
    try {
      expect(await facilitySchemaVersion(client)).toBe(0);
      expect(await migrateFacility(client, upTo1)).toBe(1);
      expect(await migrateFacility(client, upTo1)).toBe(1);
      expect(await facilitySchemaVersion(client)).toBe(1);
      const tables = await client.query(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'metascope' ORDER BY 1",
      );
      expect(tables.rows.map((r) => r.tablename)).toEqual([
        'capture_sightings',
        'captures',
        'cells',
        'models',
        'result_fractions',
        'results',
        'reviews',
        'schema_version',
        'workers',
      ]);
    } finally {
      await client.end();
    }
  });

  it('refuses a database from a newer MetaScope, untouched', async () => {
    const client = await fresh();
    try {
      await migrateFacility(client);
      await client.query('UPDATE metascope.schema_version SET version = 7');
      await expect(migrateFacility(client)).rejects.toThrow(FacilitySchemaError);
      await expect(migrateFacility(client)).rejects.toThrow(/set up by a newer MetaScope \(schema 7\)/);
    } finally {
      await client.end();
    }
  });

  it('keeps one result per capture and model, a reason per failed capture, and reviews append-only with a reviewer', async () => {
    const client = await fresh();
    try {
      await migrateFacility(client, upTo1);
      await client.query('SET search_path TO metascope');
      const capture = (n: number, state: string, reason: string | null) =>
        client.query(
          `INSERT INTO captures (sha256, name, size, state, failure_reason, first_seen_at, updated_at) VALUES ($1, 'a.tif', 1, $2, $3, 0, 0)`,
          [sha(n), state, reason],
        );
      await expect(capture(1, 'failed', null)).rejects.toThrow(/check constraint/);
      await expect(capture(1, 'lost', null)).rejects.toThrow(/check constraint/);
      const id = (
        await client.query(
          "INSERT INTO captures (sha256, name, size, state, first_seen_at, updated_at) VALUES ($1, 'a.tif', 1, 'done', 0, 0) RETURNING id",
          [sha(1)],
        )
      ).rows[0].id;
      await capture(2, 'failed', 'The file is not an image.');
      await client.query(
        `INSERT INTO models (id, version, sha256, name, classes, added_at) VALUES ('m', '1', 'h', 'M', '[]', 0)`,
      );
      const result = () =>
        client.query(
          `INSERT INTO results (capture_id, model_id, model_version, model_sha256, probabilities, class_name, probability,
             provider, preprocessing, app_version, duration_ms, classified_at, analysis, in_scope, uncertain, worker)
           VALUES ($1, 'm', '1', 'h', '{}', 'a', 0.5, 'cpu', '{}', '0.1.0', 1, 0, 'one-cell', true, false, 'gpu-1')`,
          [id],
        );
      await result();
      await expect(result()).rejects.toThrow(
        /duplicate key value violates unique constraint "results_capture_id_model_sha256_key"/,
      );
      await expect(
        client.query(
          "INSERT INTO reviews (capture_id, label, reviewer, created_at) VALUES ($1, 'x', '', 0)",
          [id],
        ),
      ).rejects.toThrow(/check constraint/);
      await client.query(
        "INSERT INTO reviews (capture_id, label, reviewer, created_at) VALUES ($1, 'infected', 'Ada', 0)",
        [id],
      );
      expect((await client.query('SELECT reviewed FROM results')).rows[0].reviewed).toBe(true);
      await expect(client.query("UPDATE reviews SET label = 'healthy'")).rejects.toThrow(/append-only/);
      await expect(client.query('DELETE FROM reviews')).rejects.toThrow(/append-only/);
    } finally {
      await client.end();
    }
  });
});
