import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePixels, readCaptureInfo } from '../../electron/core/capture/decode.js';
import { Analysis } from '../../electron/core/cells/analysis.js';
import { Detector } from '../../electron/core/cells/detector.js';
import { discField, writeDetectorFolder } from '../../electron/core/cells/testing/detector-folder.js';
import { Classifier } from '../../electron/core/model/classifier.js';
import { makeFixtures } from '../fixtures.js';
import type { EndToEndRequest } from './end-to-end-child.js';
import { runEndToEnd } from './end-to-end.js';
import { cropBatchSizes, fieldBatchOf, idealFieldsPerSecond, listFields, measureDetectorModel, measureFieldStages } from './fields.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const defaultModel = path.join(root, 'models', 'default');
const builtInDetector = path.join(root, 'models', 'detector');

describe('field helpers', () => {
  it('measures the classifier at a median field’s crop count and at the pipeline’s batch size', () => {
    expect(fieldBatchOf([58, 61, 64])).toBe(61);
    expect(fieldBatchOf([])).toBe(1);
    expect(fieldBatchOf([0, 0])).toBe(1);
    expect(cropBatchSizes([58, 61, 64], 8)).toEqual([8, 61]);
    expect(cropBatchSizes([8, 8], 8)).toEqual([8]);
    expect(cropBatchSizes([3], 8)).toEqual([3, 8]);
  });

  it('takes the ideal as the cores’ time over one field’s CPU time (prepare + its cells)', () => {
    // 2 cores, 200 ms to prepare, 60 cells at 10 ms: 2000 ms of cores per 800 ms of work.
    expect(idealFieldsPerSecond(2, 200, 60, 10)).toBeCloseTo(2.5);
    // The capture rows' 1 / (1/model + 1/decode), each stage at its CPU-bound rate.
    const model = 2000 / 600;
    const decode = 2000 / 200;
    expect(idealFieldsPerSecond(2, 200, 60, 10)).toBeCloseTo(1 / (1 / model + 1 / decode));
  });

  it('lists the image files of a folder by name, at most as many as asked, without reading into subfolders', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'metascope-list-fields-'));
    try {
      for (const name of ['b.tif', 'a.TIFF', 'c.png', 'notes.txt', 'd.jpg']) await writeFile(path.join(dir, name), '');
      await mkdir(path.join(dir, 'masks.tif'));
      expect((await listFields(dir, 10)).map((f) => path.basename(f))).toEqual(['a.TIFF', 'b.tif', 'c.png', 'd.jpg']);
      expect((await listFields(dir, 2)).map((f) => path.basename(f))).toEqual(['a.TIFF', 'b.tif']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// A stand-in cell finder (bright discs are cells) keeps these tests independent of the built-in
// detector, which may not be trained yet.
describe('whole-field measures with a stand-in detector', () => {
  const discs = [
    { x: 60, y: 60, radius: 14 },
    { x: 200, y: 90, radius: 16 },
    { x: 120, y: 190, radius: 15 },
  ];
  let work: string;
  let detectorFolder: string;
  let files: string[];
  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'metascope-fields-measure-'));
    detectorFolder = path.join(work, 'detector');
    await writeDetectorFolder(detectorFolder);
    files = [];
    for (const i of [0, 1]) {
      const file = path.join(work, 'files', `field-${i}.tif`);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, await discField(288, 256, discs.map((d) => ({ ...d, x: d.x + i * 4 }))));
      files.push(file);
    }
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  it('times decode, the detector and the whole prepare step per field, and counts each field’s cells', async () => {
    const classifier = await Classifier.open(defaultModel, { threads: 1 });
    const detector = await Detector.open(detectorFolder, { threads: 1 });
    try {
      const stages = await measureFieldStages(new Analysis(classifier, detector, null), files);
      expect(stages.fields).toBe(2);
      expect(stages.cells).toEqual([3, 3]);
      for (const stage of [stages.decode, stages.find, stages.prepare]) {
        expect(stage.ms).toBeGreaterThan(0);
        expect(stage.cpuMs).toBeGreaterThanOrEqual(0);
      }
      // Preparing includes decoding and finding.
      expect(stages.prepare.ms).toBeGreaterThan(stages.find.ms);
    } finally {
      await Promise.all([classifier.close(), detector.close()]);
    }
  }, 60_000);

  it('times the detector’s network alone at a field’s size', async () => {
    const cost = await measureDetectorModel(detectorFolder, { width: 288, height: 256 }, 'cpu', 0.05);
    expect(cost.ms).toBeGreaterThan(0);
    expect(Number.isFinite(cost.cpuMs)).toBe(true);
  }, 60_000);

  it('runs a watched folder set to find cells end to end: one result per field, its crops in one classifier call', async () => {
    const request: EndToEndRequest = {
      mode: 'latency',
      model: defaultModel,
      detector: detectorFolder,
      analysis: 'find-cells',
      provider: 'cpu',
      files,
      workDir: path.join(work, 'run'),
      settleMs: 50,
      batchSize: 8,
      decodeConcurrency: 2,
    };
    const result = runEndToEnd(request);
    expect(result).toMatchObject({ failed: 0, ranOn: ['cpu'], cellsPerCapture: [3, 3], classifierCalls: [3, 3] });
    expect(result.latencies).toHaveLength(2);
    // The results name the cell finder that found their cells.
    const manifest = JSON.parse(await readFile(path.join(detectorFolder, 'model.json'), 'utf8'));
    expect(result.detectors).toEqual([manifest.onnx.sha256]);
  }, 60_000);
});

const detectorReady = existsSync(path.join(builtInDetector, 'model.json'));
const whyNot = detectorReady ? '' : ` (skipped: no built-in detector at ${builtInDetector}; train it with models/train/train_detector.py)`;
describe('cells16 fields and the built-in detector', () => {
  it.skipIf(!detectorReady)(`finds about as many cells as were planted${whyNot}`, async () => {
    const work = await mkdtemp(path.join(tmpdir(), 'metascope-cells16-'));
    const detector = await Detector.open(builtInDetector, { threads: 1 });
    try {
      const [field] = await makeFixtures(work, { kind: 'cells16', count: 1 });
      const bytes = await readFile(field!.path);
      const pixels = await decodePixels(bytes, await readCaptureInfo(bytes), { colour: 'grey' });
      const found = (await detector.find(pixels)).cells.length;
      expect(found).toBeGreaterThanOrEqual(0.8 * field!.cells!);
      expect(found).toBeLessThanOrEqual(1.2 * field!.cells!);
    } finally {
      await detector.close();
      await rm(work, { recursive: true, force: true });
    }
  }, 60_000);
});
