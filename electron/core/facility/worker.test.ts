import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode, greyImage, makeTempDir, writeCapture } from '../capture/testing/images.js';
import { Analysis } from '../cells/analysis.js';
import { Classifier } from '../model/classifier.js';
import { writeModelFolder } from '../model/testing/model-folder.js';
import { heldJobs } from './leases.js';
import { sendCaptures } from './producer.js';
import { captureJobId, captureQueue } from './queue.js';
import { captureOf, initialisedFacility } from './testing/facility.js';
import { noPostgresReason, postgresBin, startTestPostgres, type TestPostgres } from './testing/postgres.js';
import { FacilityWorker } from './worker.js';

const bin = postgresBin();
if (!bin) console.warn(noPostgresReason);

describe.skipIf(!bin)('facility producers and workers', () => {
  let server: TestPostgres;
  const temp = makeTempDir('metascope-facility-');
  let analysis: Analysis;
  beforeAll(async () => {
    server = await startTestPostgres();
    const modelFolder = path.join(temp.dir, 'model');
    await writeModelFolder(modelFolder);
    analysis = new Analysis(await Classifier.open(modelFolder, { provider: 'cpu', threads: 1 }), null);
  });
  afterAll(async () => {
    await analysis?.classifier.close();
    await server?.stop();
    temp.remove();
  });

  const initialised = () => initialisedFacility(server, { supervise: true });

  it('queues a capture seen on two workstations once, and keeps both sightings', async () => {
    const database = await initialised();
    try {
      const a = makeTempDir();
      const b = makeTempDir();
      const bytes = await encode(
        greyImage(8, 8, 8, () => 200),
        'png',
      );
      const captures = await Promise.all(
        [1, 2, 3].map((n) =>
          encode(
            greyImage(8, 8, 8, () => n * 40),
            'png',
          ),
        ),
      );
      const atA = await Promise.all(captures.map((c, i) => captureOf(writeCapture(a.dir, `${i}.png`, c))));
      const atB = await Promise.all(
        captures.map((c, i) => captureOf(writeCapture(b.dir, `copy-${i}.png`, c))),
      );
      const shared = await captureOf(writeCapture(a.dir, 'shared.png', bytes));
      const [newAtA, newAtB] = await Promise.all([
        sendCaptures(database, { workstation: 'ws-a', microscope: 'scope-1' }, [...atA, shared]),
        sendCaptures(database, { workstation: 'ws-b', microscope: 'scope-2' }, [...atB].reverse()),
      ]);
      expect(newAtA + newAtB).toBe(4);
      // Sent again (a crash between the facility's commit and the local mark): nothing new.
      expect(await sendCaptures(database, { workstation: 'ws-a', microscope: 'scope-1' }, atA)).toBe(0);
      expect(await database.boss.getQueueSize(captureQueue)).toBe(4);
      const sightings = await database.pool.query('SELECT count(*)::int AS n FROM capture_sightings');
      expect(sightings.rows[0].n).toBe(7);
      a.remove();
      b.remove();
    } finally {
      await database.close();
    }
  });

  it('completes a job only with its result: a transaction that does not commit leaves the job to another worker', async () => {
    const database = await initialised();
    try {
      const dir = makeTempDir();
      const capture = await captureOf(
        writeCapture(
          dir.dir,
          'a.png',
          await encode(
            greyImage(8, 8, 8, () => 10),
            'png',
          ),
        ),
      );
      await sendCaptures(database, { workstation: 'ws', microscope: '' }, [capture]);
      const [job] = await database.boss.fetch(captureQueue);
      expect(job?.id).toBe(captureJobId(capture.sha256));
      const complete = database.boss.complete as unknown as (
        n: string,
        ids: string[],
        d: null,
        o: object,
      ) => Promise<void>;
      await expect(
        database.transaction(async (_client, db) => {
          await complete.call(database.boss, captureQueue, [job!.id], null, { db });
          throw new Error('the worker died before its result was written');
        }),
      ).rejects.toThrow(/worker died/);
      expect((await database.boss.getJobById(captureQueue, job!.id))?.state).toBe('active');
      dir.remove();
    } finally {
      await database.close();
    }
  });

  it('counts a job as held only under the lease it was taken with, not after expiry gave it to another worker', async () => {
    const database = await initialised();
    try {
      const dir = makeTempDir();
      const files = await Promise.all(
        [1, 2].map(async (n) =>
          captureOf(
            writeCapture(
              dir.dir,
              `${n}.png`,
              await encode(
                greyImage(8, 8, 8, () => n),
                'png',
              ),
            ),
          ),
        ),
      );
      await sendCaptures(database, { workstation: 'ws', microscope: '' }, files);
      const jobs = await database.boss.fetch<{ sha256: string }>(captureQueue, {
        batchSize: 2,
        includeMetadata: true,
      });
      const leases = new Map(jobs.map((job) => [job.id, job.retryCount]));
      // The first job expired and another worker took it again: pg-boss counted one more try.
      await database.pool.query('UPDATE pgboss.job SET retry_count = retry_count + 1 WHERE id = $1', [
        jobs[0]!.id,
      ]);
      const held = await database.transaction((client) => heldJobs(client, leases));
      expect([...held]).toEqual([jobs[1]!.id]);
      dir.remove();
    } finally {
      await database.close();
    }
  });

  it('classifies every valid capture once, stores a reason for a damaged one, and leaves the queue empty', async () => {
    const database = await initialised();
    const notices: string[] = [];
    const settled: string[] = [];
    const worker = new FacilityWorker({
      database,
      analysis,
      name: `${os.hostname()}-test`,
      pathRules: [],
      batchSize: 4,
      appVersion: '0.1.0',
      notice: (level, message) => notices.push(`${level}: ${message}`),
      onSettled: (sha256, outcome) => settled.push(`${outcome} ${sha256}`),
      idleMs: 100,
    });
    try {
      const dir = makeTempDir();
      const valid = await Promise.all(
        Array.from({ length: 10 }, async (_, i) =>
          captureOf(
            writeCapture(
              dir.dir,
              `${i}.png`,
              await encode(
                greyImage(8, 8, 8, () => i * 25),
                'png',
              ),
            ),
          ),
        ),
      );
      // A PNG cut short: its header reads (so a producer queues it), its pixels do not decode.
      const whole = await encode(
        greyImage(64, 64, 8, (x, y) => (x * 7 + y * 13) % 256),
        'png',
      );
      const damaged = await captureOf(
        writeCapture(dir.dir, 'damaged.png', whole.subarray(0, whole.length - 200)),
      );
      await sendCaptures(database, { workstation: 'ws', microscope: 'scope' }, [...valid, damaged]);
      worker.start();
      const deadline = Date.now() + 20_000;
      while (settled.length < 11 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const results = await database.pool.query(
        'SELECT c.sha256, count(r.id)::int AS n FROM captures c LEFT JOIN results r ON r.capture_id = c.id GROUP BY c.sha256',
      );
      const counts = Object.fromEntries(results.rows.map((r) => [r.sha256, r.n]));
      for (const capture of valid) expect(counts[capture.sha256]).toBe(1);
      expect(counts[damaged.sha256]).toBe(0);
      const failed = await database.pool.query("SELECT failure_reason FROM captures WHERE state = 'failed'");
      expect(failed.rows).toHaveLength(1);
      expect(failed.rows[0].failure_reason).toMatch(/\w+ .*\./);
      expect(await database.boss.getQueueSize(captureQueue)).toBe(0);
      const provenance = await database.pool.query(
        'SELECT model_id, model_sha256, provider, app_version, worker FROM results LIMIT 1',
      );
      expect(provenance.rows[0]).toMatchObject({
        model_id: 'test-linear-mean',
        provider: 'cpu',
        app_version: '0.1.0',
        worker: `${os.hostname()}-test`,
      });
      const alive = await database.pool.query('SELECT name FROM workers');
      expect(alive.rows.map((r) => r.name)).toEqual([`${os.hostname()}-test`]);
      expect(notices).toEqual([]);
      dir.remove();
    } finally {
      await worker.stop();
      await database.close();
    }
  });
});
