import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode, greyImage, makeTempDir } from '../capture/testing/images.js';
import { Analysis } from '../cells/analysis.js';
import { Classifier } from '../model/classifier.js';
import { writeModelFolder } from '../model/testing/model-folder.js';
import { sendCaptures } from './producer.js';
import { facilityStatus } from './status.js';
import { initialisedFacility } from './testing/facility.js';
import { noPostgresReason, postgresBin, startTestPostgres, type TestPostgres } from './testing/postgres.js';
import { FacilityWorker } from './worker.js';

const bin = postgresBin();
if (!bin) console.warn(noPostgresReason);

describe.skipIf(!bin)('facility status', () => {
  let server: TestPostgres;
  const temp = makeTempDir('metascope-facility-status-');
  beforeAll(async () => {
    server = await startTestPostgres();
    await writeModelFolder(path.join(temp.dir, 'model'));
  });
  afterAll(async () => {
    await server?.stop();
    temp.remove();
  });

  it('shows a capture no worker can read, after its last retry, as set aside with the reason', async () => {
    const database = await initialisedFacility(server, { supervise: true });
    const analysis = new Analysis(
      await Classifier.open(path.join(temp.dir, 'model'), { provider: 'cpu', threads: 1 }),
      null,
    );
    const worker = new FacilityWorker({
      database,
      analysis,
      name: 'w',
      pathRules: [],
      batchSize: 4,
      appVersion: '0.1.0',
      notice: () => {},
      idleMs: 100,
    });
    try {
      const bytes = await encode(
        greyImage(8, 8, 8, () => 1),
        'png',
      );
      const gone = '/nowhere/scope-1/a.png';
      const capture = {
        sha256: 'ab'.repeat(32),
        name: 'a.png',
        info: { size: bytes.length, width: 8, height: 8, bitDepth: 8, channels: 1, pages: 1, format: 'png' },
        state: 'queued' as const,
        failureReason: null,
        attempts: 0,
        firstSeenAt: Date.now(),
        updatedAt: Date.now(),
        paths: [gone],
      };
      await sendCaptures(database, { workstation: 'ws', microscope: 'scope-1' }, [capture]);
      expect((await facilityStatus(database.pool)).queue).toEqual({ waiting: 1, retrying: 0, active: 0 });
      worker.start();
      const deadline = Date.now() + 20_000;
      let status = await facilityStatus(database.pool);
      while (status.deadLetters.length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        status = await facilityStatus(database.pool);
      }
      expect(status.deadLetters).toEqual([
        {
          sha256: capture.sha256,
          reason: `This worker cannot read the capture at ${gone}: check that the share is mounted here and that --path-map maps the workstations' folders to it.`,
          failedAt: expect.any(Number),
        },
      ]);
      expect(status.queue).toEqual({ waiting: 0, retrying: 0, active: 0 });
      expect(status.workers.map((w) => w.name)).toEqual(['w']);
    } finally {
      await worker.stop();
      await database.close();
      await analysis.classifier.close();
    }
  });
});
