import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCaptureInfo } from '../capture/decode.js';
import { encode, greyImage, makeTempDir, rawImage } from '../capture/testing/images.js';
import { Analysis } from '../cells/analysis.js';
import { Detector } from '../cells/detector.js';
import { writeDetectorFolder } from '../cells/testing/detector-folder.js';
import { Classifier } from './classifier.js';
import { tailRatio } from './input-checks.js';
import { writeScopedModel } from './testing/scoped-model.js';

const temp = makeTempDir();
let classifier: Classifier;

beforeAll(async () => {
  const folder = path.join(temp.dir, 'scoped');
  await writeScopedModel(folder);
  classifier = await Classifier.open(folder, { provider: 'cpu', threads: 1 });
});
afterAll(async () => {
  await classifier?.close();
  temp.remove();
});

/** A 16×16 8-bit grey capture whose values rise across it: a symmetric histogram around `centre`. */
const ramp = (centre: number, bitDepth: 8 | 16 = 8) =>
  encode(
    greyImage(16, 16, bitDepth, (x) => (centre - 30 + x * 4) * (bitDepth === 16 ? 257 : 1)),
    bitDepth === 16 ? 'tiff' : 'png',
  );

async function verdictOf(bytes: Buffer) {
  const analysis = new Analysis(classifier, null);
  const prepared = await analysis.prepare(bytes, await readCaptureInfo(bytes));
  return analysis.conclude(prepared, await classifier.run(prepared.inputs));
}

describe('scope check', () => {
  it('measures the tail ratio by nearest rank, and calls a flat image undefined', () => {
    const pixels = (values: number[]) => ({
      width: values.length,
      height: 1,
      channels: 1 as const,
      bitDepth: 8 as const,
      data: Uint8Array.from(values),
    });
    expect(tailRatio(pixels(Array.from({ length: 101 }, (_, i) => i)))).toBeCloseTo((99 - 50) / (50 - 1), 6);
    expect(tailRatio(pixels([5, 5, 5, 5]))).toBeNaN();
    expect(tailRatio(pixels([0, 0, 0, 0, 0, 0, 0, 0, 0, 255]))).toBe(Number.POSITIVE_INFINITY);
  });

  it('keeps an input near the training data in scope, with its distance', async () => {
    const { scope, prediction } = await verdictOf(await ramp(0.7 * 255));
    expect(scope).toMatchObject({ inScope: true, method: 'feature-distance', threshold: 3, reason: null });
    expect(scope.score).toBeLessThan(3);
    expect(prediction.distance).toBe(scope.score);
  });

  it('puts an input far from the training data out of scope, saying why', async () => {
    const { scope } = await verdictOf(await ramp(0.5 * 255));
    expect(scope.inScope).toBe(false);
    expect(scope.score).toBeGreaterThan(3);
    expect(scope.reason).toMatch(
      /unlike anything the model was trained on \(distance \d+\.\d from its training images/,
    );
  });

  it('judges a whole field by its own input checks too, so a field without cells is not "in scope"', async () => {
    const folder = path.join(temp.dir, 'finder');
    await writeDetectorFolder(folder);
    const detector = await Detector.open(folder, { provider: 'cpu', threads: 1 });
    try {
      const analysis = new Analysis(classifier, detector);
      const bytes = await encode(
        greyImage(200, 200, 16, () => 3000),
        'tiff',
      );
      const prepared = await analysis.prepare(bytes, await readCaptureInfo(bytes), { choice: 'find-cells' });
      const analysed = analysis.conclude(prepared, await classifier.run(prepared.inputs));
      expect(analysed.cells).toEqual([]);
      expect(analysed.scope).toMatchObject({ inScope: false, method: 'input-checks' });
      expect(analysed.scope.reason).toMatch(/This is a 16-bit image/);
    } finally {
      await detector.close();
    }
  });

  it('says which input check fails, in words: bit depth, size, channels, and a fluorescence-like histogram', async () => {
    const sixteen = await verdictOf(await ramp(0.7 * 255, 16));
    expect(sixteen.scope.reason).toMatch(
      /This is a 16-bit image; the model was trained on 8-bit brightfield images\./,
    );
    const large = await verdictOf(
      await encode(
        greyImage(100, 90, 8, (x) => 150 + (x % 60)),
        'png',
      ),
    );
    expect(large.scope.reason).toMatch(
      /100 × 90 pixels; the model was trained on single cells of 8 to 64 pixels a side/,
    );
    const rgb = await verdictOf(
      await encode(
        rawImage(16, 16, 3, 8, (x) => 150 + x * 4),
        'png',
      ),
    );
    expect(rgb.scope.reason).toMatch(
      /This image has 3 channels \(colour\); the model was trained on images with 1 channel\./,
    );
    const fluorescence = await verdictOf(
      await encode(
        greyImage(16, 16, 8, (x, y) => (x > 12 && y > 12 ? 250 : 10 + ((x + y) % 3))),
        'png',
      ),
    );
    expect(fluorescence.scope.reason).toMatch(
      /^The cells look brighter than the background, as in fluorescence, dark field or an image with its contrast inverted; the model was trained on brightfield \(its bright detail outweighs its dark detail: tailRatio unbounded, no dark detail at all, trained 0\.5–2\)\./,
    );
  });
});
