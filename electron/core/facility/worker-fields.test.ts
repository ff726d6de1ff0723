import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode, greyImage, makeTempDir, writeCapture } from '../capture/testing/images.js';
import { Analysis } from '../cells/analysis.js';
import { Detector } from '../cells/detector.js';
import { discField, writeDetectorFolder } from '../cells/testing/detector-folder.js';
import { postgresHistory } from '../history-store/postgres.js';
import { Classifier } from '../model/classifier.js';
import { writeModelFolder } from '../model/testing/model-folder.js';
import { sendCaptures } from './producer.js';
import { captureOf, initialisedFacility } from './testing/facility.js';
import { noPostgresReason, postgresBin, startTestPostgres, type TestPostgres } from './testing/postgres.js';
import { FacilityWorker } from './worker.js';

const bin = postgresBin();
if (!bin) console.warn(noPostgresReason);

/** Whole fields in a facility: each folder's analysis travels with its captures' jobs. */
describe.skipIf(!bin)('facility workers on whole fields', () => {
  let server: TestPostgres;
  const temp = makeTempDir('metascope-facility-fields-');
  let analysis: Analysis;
  beforeAll(async () => {
    server = await startTestPostgres();
    await writeModelFolder(path.join(temp.dir, 'model'), { channels: 1, height: 32, width: 32, weights: [[8]], bias: [-3] }, {
      preprocessing: { intensity: { mode: 'percentile', low: 0, high: 100 } },
    });
    await writeDetectorFolder(path.join(temp.dir, 'detector'));
    analysis = new Analysis(
      await Classifier.open(path.join(temp.dir, 'model'), { provider: 'cpu', threads: 1 }),
      await Detector.open(path.join(temp.dir, 'detector'), { provider: 'cpu', threads: 1 }),
    );
  });
  afterAll(async () => {
    await analysis?.classifier.close();
    await analysis?.detector?.close();
    await server?.stop();
    temp.remove();
  });

  const initialised = () => initialisedFacility(server, { supervise: true });

  it('finds the cells of a field whose folder asks for it, keeps a small capture whole, and stores cells and fractions', async () => {
    const database = await initialised();
    const settled: string[] = [];
    const worker = new FacilityWorker({
      database,
      analysis,
      name: `${os.hostname()}-fields`,
      pathRules: [],
      batchSize: 4,
      appVersion: '0.1.0',
      notice: () => {},
      onSettled: (sha256) => settled.push(sha256),
      idleMs: 100,
    });
    try {
      const field = await captureOf(
        writeCapture(
          temp.dir,
          'field.tif',
          await discField(96, 96, [
            { x: 24, y: 24, radius: 7 },
            { x: 70, y: 30, radius: 7 },
            { x: 45, y: 72, radius: 7 },
          ]),
        ),
      );
      const crop = await captureOf(writeCapture(temp.dir, 'crop.png', await encode(greyImage(16, 16, 8, () => 200), 'png')));
      // As `watch --facility` does: the field's folder analyses cell by cell, the crop's decides by size.
      await sendCaptures(database, { workstation: 'ws', microscope: 'scope' }, [field, crop], (capture) =>
        capture === field ? 'find-cells' : 'auto',
      );
      worker.start();
      const deadline = Date.now() + 30_000;
      while (settled.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));

      const history = postgresHistory(database.pool);
      const [fieldResult] = await history.forCapture(field.sha256);
      expect(fieldResult).toMatchObject({ analysis: 'find-cells', summary: { cells: 3 } });
      expect(fieldResult!.detector?.id).toBe('test-bright-discs');
      const cells = await database.pool.query(
        'SELECT count(*)::int AS n FROM cells l JOIN results r ON r.id = l.result_id JOIN captures c ON c.id = r.capture_id WHERE c.sha256 = $1',
        [field.sha256],
      );
      expect(cells.rows[0].n).toBe(3);
      const fractions = await history.page(
        { fractionClass: fieldResult!.className },
        { key: 'fraction', direction: 'desc' },
        { offset: 0, limit: 10 },
      );
      // Sorted by their share of cells in a class, fields come first and captures taken whole after.
      expect(fractions.rows.map((r) => r.sha256)).toEqual([field.sha256, crop.sha256]);
      const inRange = { fractionClass: fieldResult!.className, minFraction: 0.1 };
      expect((await history.page(inRange, { key: 'time', direction: 'asc' }, { offset: 0, limit: 10 })).total).toBe(1);
      const [cropResult] = await history.forCapture(crop.sha256);
      expect(cropResult).toMatchObject({ analysis: 'one-cell', summary: null });
    } finally {
      await worker.stop();
      await database.close();
    }
  });
});
