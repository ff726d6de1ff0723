import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readCaptureInfo } from '../capture/decode.js';
import { encode, greyImage, makeTempDir, writeCapture } from '../capture/testing/images.js';
import { Classifier } from '../model/classifier.js';
import { writeModelFolder } from '../model/testing/model-folder.js';
import { Pipeline, type Outcome } from '../pipeline/pipeline.js';
import { Analysis } from './analysis.js';
import { Detector } from './detector.js';
import { discField, writeDetectorFolder } from './testing/detector-folder.js';

const temp = makeTempDir();
let classifier: Classifier;
let detector: Detector;

// A 32×32 window: the test model averages its input, so a window mostly filled by a bright disc
// reads "bright" and one with a small, dim disc reads "dim".
beforeAll(async () => {
  await writeModelFolder(
    path.join(temp.dir, 'model'),
    { channels: 1, height: 32, width: 32, weights: [[8]], bias: [-3] },
    {
      preprocessing: { intensity: { mode: 'percentile', low: 0, high: 100 } },
    },
  );
  await writeDetectorFolder(path.join(temp.dir, 'detector'));
  classifier = await Classifier.open(path.join(temp.dir, 'model'), { provider: 'cpu', threads: 1 });
  detector = await Detector.open(path.join(temp.dir, 'detector'), { provider: 'cpu', threads: 1 });
});

afterAll(async () => {
  await classifier?.close();
  await detector?.close();
  temp.remove();
});

async function analyse(bytes: Buffer, analysis = new Analysis(classifier, detector), batchSize = 8): Promise<Outcome> {
  const outcomes: Outcome[] = [];
  const pipeline = new Pipeline({ analysis, batchSize, onOutcomes: (o) => void outcomes.push(...o) });
  pipeline.push({ path: writeCapture(temp.dir, `capture-${Math.random()}.tif`, bytes) });
  await pipeline.idle();
  return outcomes[0]!;
}

describe('Analysis', () => {
  it('takes a capture about the size of the window for one cell and a larger one for a field', () => {
    const analysis = new Analysis(classifier, detector);
    expect(analysis.modeFor('auto', { width: 40, height: 64 })).toBe('one-cell');
    expect(analysis.modeFor('auto', { width: 65, height: 20 })).toBe('find-cells');
    expect(analysis.modeFor('one-cell', { width: 1000, height: 1000 })).toBe('one-cell');
    expect(analysis.modeFor('find-cells', { width: 32, height: 32 })).toBe('find-cells');
    // No cell finder and none meant to be there: everything is classified whole, as before.
    expect(new Analysis(classifier, null).modeFor('auto', { width: 1000, height: 1000 })).toBe('one-cell');
    expect(
      new Analysis(classifier, null, 'it is missing').modeFor('auto', { width: 1000, height: 1000 }),
    ).toBe('find-cells');
  });

  it('finds each cell of a field, classifies its window, and sums the field up', async () => {
    const discs = [
      { x: 40, y: 40, radius: 12 },
      { x: 120, y: 50, radius: 12 },
      { x: 60, y: 130, radius: 5 },
      { x: 150, y: 150, radius: 12 },
    ];
    const outcome = await analyse(await discField(200, 180, discs));
    expect(outcome.status).toBe('ok');
    if (outcome.status !== 'ok') return;
    const { analysed } = outcome;
    expect(analysed.mode).toBe('find-cells');
    expect(analysed.cells).toHaveLength(4);
    for (const disc of discs) {
      const cell = analysed.cells!.find((c) => Math.hypot(c.x - disc.x, c.y - disc.y) < 3);
      expect(cell, `a cell at ${disc.x},${disc.y}`).toBeDefined();
      expect(cell!.crop.window).toMatchObject({ width: 32, height: 32 });
      expect(cell!.prediction.class).toBe(disc.radius > 10 ? 'bright' : 'dim');
    }
    expect(analysed.summary).toEqual({
      cells: 4,
      outOfScope: 0,
      counts: { dim: 1, bright: 3 },
      fractions: { dim: 0.25, bright: 0.75 },
      meanProbability: expect.any(Number),
    });
    expect(analysed.prediction).toMatchObject({ class: 'bright', probability: 0.75 });
    expect(analysed.cropScale?.note).toMatch(
      /own pixel size: neither the capture nor the model states its pixel size/,
    );
  });

  it('sends the crops of a field to the model in runs of at most the batch size, and keeps them in order', async () => {
    const discs = [20, 60, 100, 140, 180].map((x) => ({ x, y: 50, radius: x > 100 ? 12 : 5 }));
    const run = vi.spyOn(classifier, 'run');
    try {
      const outcome = await analyse(await discField(200, 100, discs), new Analysis(classifier, detector), 2);
      if (outcome.status !== 'ok') throw new Error(outcome.reason);
      expect(run.mock.calls.map(([inputs]) => inputs.length)).toEqual([2, 2, 1]);
      const byX = [...outcome.analysed.cells!].sort((a, b) => a.x - b.x);
      expect(byX.map((c) => c.prediction.class)).toEqual(['dim', 'dim', 'dim', 'bright', 'bright']);
    } finally {
      run.mockRestore();
    }
  });

  it('mirrors a window that crosses the field edge, and says so', async () => {
    const outcome = await analyse(await discField(160, 160, [{ x: 6, y: 80, radius: 10 }]));
    if (outcome.status !== 'ok') throw new Error(outcome.reason);
    expect(outcome.analysed.cells).toHaveLength(1);
    expect(outcome.analysed.cells![0]!.crop.edge).toBe(true);
  });

  it('gives a field without cells a summary of none, and no class', async () => {
    const empty = await encode(
      greyImage(200, 200, 16, () => 3000),
      'tiff',
    );
    const outcome = await analyse(empty);
    if (outcome.status !== 'ok') throw new Error(outcome.reason);
    expect(outcome.analysed.summary).toMatchObject({ cells: 0, meanProbability: null });
    expect(outcome.analysed.prediction.class).toBe('');
  });

  it('classifies a single-cell capture exactly as before', async () => {
    const bytes = await encode(
      greyImage(32, 32, 8, () => 230),
      'png',
    );
    const whole = await classifier.run([
      (await classifier.preprocessor.prepare(bytes, await readCaptureInfo(bytes))).tensor,
    ]);
    const outcome = await analyse(bytes);
    if (outcome.status !== 'ok') throw new Error(outcome.reason);
    expect(outcome.analysed).toMatchObject({ mode: 'one-cell', cells: null, summary: null });
    expect(outcome.analysed.prediction).toEqual(whole[0]);
  });

  it('fails a field in a sentence when no cell finder could be loaded', async () => {
    const outcome = await analyse(
      await discField(200, 200, []),
      new Analysis(classifier, null, 'the cell finder could not be loaded (gone)'),
    );
    expect(outcome).toMatchObject({ status: 'failed', code: 'no-detector' });
    if (outcome.status === 'failed')
      expect(outcome.reason).toMatch(
        /whole field \(200 × 200 pixels\).*could not be loaded \(gone\).*one cell/,
      );
  });
});
