import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { facilityConnection } from './connection.js';
import { openFacilityDatabase } from './database.js';
import { initFacility } from './init.js';
import { facilityMigrations } from './migrate.js';
import { captureQueue, deadLetterQueue } from './queue.js';
import { noPostgresReason, postgresBin, startTestPostgres, type TestPostgres } from './testing/postgres.js';

const bin = postgresBin();
if (!bin) console.warn(noPostgresReason);

describe.skipIf(!bin)('facility init', () => {
  let server: TestPostgres;
  beforeAll(async () => {
    server = await startTestPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('creates the tables, pg-boss and the queues (retries with backoff, expiry, dead letters), and can run again', async () => {
    const connection = facilityConnection(await server.freshDatabase(), { env: {} });
    const errors: string[] = [];
    const settings = { jobTimeoutSeconds: 60, retryLimit: 3, retryDelaySeconds: 5 };
    for (let run = 0; run < 2; run++) {
      const database = openFacilityDatabase(connection, {
        applicationName: 'test',
        supervise: false,
        migrate: true,
        onError: (m) => errors.push(m),
      });
      try {
        expect(await initFacility(database, settings)).toEqual({ schemaVersion: facilityMigrations.at(-1)!.version });
        const queue = await database.boss.getQueue(captureQueue);
        expect(queue).toMatchObject({
          retryLimit: 3,
          retryDelay: 5,
          retryBackoff: true,
          expireInSeconds: 60,
          deadLetter: deadLetterQueue,
        });
        expect(await database.boss.getQueue(deadLetterQueue)).not.toBeNull();
      } finally {
        await database.close();
      }
    }
    expect(errors).toEqual([]);
  });
});
