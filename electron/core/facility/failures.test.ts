import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Capture } from '../store/captures.js';
import { info, sha } from '../store/testing/fixtures.js';
import { facilityFailures } from './failures.js';
import { sendCaptures, sendFailures } from './producer.js';
import { captureQueue } from './queue.js';
import { initialisedFacility } from './testing/facility.js';
import { noPostgresReason, postgresBin, startTestPostgres, type TestPostgres } from './testing/postgres.js';

const bin = postgresBin();
if (!bin) console.warn(noPostgresReason);

const capture = (n: number, path: string, failureReason: string | null = null): Capture => ({
  sha256: sha(n),
  name: path.split('/').at(-1)!,
  info,
  state: failureReason ? 'failed' : 'queued',
  failureReason,
  attempts: 0,
  firstSeenAt: 1_700_000_000_000,
  updatedAt: 1_700_000_000_000,
  paths: [path],
});

describe.skipIf(!bin)('captures that failed at a workstation, in the facility', () => {
  let server: TestPostgres;
  beforeAll(async () => {
    server = await startTestPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('are on record with their reason and where they were seen, queue nothing, and never override a known capture', async () => {
    const database = await initialisedFacility(server);
    try {
      await sendCaptures(database, { workstation: 'ws-a', microscope: 'scope-a' }, [capture(1, '/a/good.tif')]);
      await sendFailures(database, { workstation: 'ws-b', microscope: '' }, [
        capture(2, '/b/empty.tif', 'The file is empty.'),
        capture(1, '/b/good.tif', 'The file could not be read.'),
      ]);
      // Sent again after a restart: still one record.
      await sendFailures(database, { workstation: 'ws-b', microscope: '' }, [capture(2, '/b/empty.tif', 'The file is empty.')]);

      const failed = await facilityFailures(database.pool, {});
      expect(failed.map((f) => [f.sha256, f.name, f.failureReason, f.paths, f.workstations])).toEqual([
        [sha(2), 'empty.tif', 'The file is empty.', ['/b/empty.tif'], ['ws-b']],
      ]);
      expect(await facilityFailures(database.pool, { workstation: 'ws-a' })).toEqual([]);
      const known = await database.pool.query('SELECT state FROM captures WHERE sha256 = $1', [sha(1)]);
      expect(known.rows[0].state).toBe('queued');
      expect(await database.boss.getQueueSize(captureQueue)).toBe(1);
    } finally {
      await database.close();
    }
  });
});
