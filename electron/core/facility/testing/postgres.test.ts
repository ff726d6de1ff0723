import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noPostgresReason, postgresBin, startTestPostgres, type TestPostgres } from './postgres.js';

const bin = postgresBin();
if (!bin) console.warn(noPostgresReason);

describe.skipIf(!bin)('a throw-away PostgreSQL for tests', () => {
  let server: TestPostgres;
  beforeAll(async () => {
    server = await startTestPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });

  const one = async (url: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<{ n: number }>('SELECT 1 AS n')).rows[0]?.n;
    } finally {
      await client.end();
    }
  };

  it('serves a fresh database on loopback, and serves again after a restart', async () => {
    const url = await server.freshDatabase();
    expect(url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/test_/);
    expect(await one(url)).toBe(1);
    await server.restart(100);
    expect(await one(url)).toBe(1);
  });
});
