import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCaptureInfo } from '../capture/decode.js';
import { encode, greyImage, makeTempDir, rawImage } from '../capture/testing/images.js';
import { Classifier, interpret, type ClassifierOptions } from './classifier.js';
import { ModelError } from './errors.js';
import { parseManifest, type ModelManifest } from './manifest.js';
import { tinyModelSpec, writeModelFolder, type ManifestChanges } from './testing/model-folder.js';
import type { LinearModelSpec } from './testing/onnx-writer.js';

const temp = makeTempDir();
let folders = 0;
const opened: Classifier[] = [];
afterAll(async () => {
  await Promise.all(opened.map((c) => c.close().catch(() => {})));
  temp.remove();
});

/** A real ONNX classifier on the CPU over a model folder written for the test. */
async function classifier(
  spec: LinearModelSpec = tinyModelSpec,
  changes: ManifestChanges = {},
  options: ClassifierOptions = {},
) {
  const folder = path.join(temp.dir, `model-${folders++}`);
  await writeModelFolder(folder, spec, changes);
  const c = await Classifier.open(folder, { provider: 'cpu', threads: 1, ...options });
  opened.push(c);
  return c;
}

/** A C×8×8 tensor with every value x: the tiny models see mean x on each channel. */
const flat = (x: number, channels = 1) => new Float32Array(64 * channels).fill(x);
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

describe('interpret', () => {
  const base = {
    id: 'interpret',
    name: 'Interpret',
    version: '1',
    onnx: { sha256: 'f'.repeat(64) },
    input: { name: 'image', layout: 'NCHW', width: 8, height: 8, channels: 1, dtype: 'float32' },
    preprocessing: { resize: 'stretch', intensity: { mode: 'bit-depth' }, mean: [0], std: [1] },
  };
  const manifest = (activation: string, classes: string[], threshold?: number): ModelManifest =>
    parseManifest({ ...base, output: { name: 'out', activation }, classes, threshold }, 'in the test');

  it('sigmoid, one logit: p(second class) = σ(logit), p(first) = 1 − that, decided at the threshold', () => {
    const m = manifest('sigmoid', ['negative', 'positive']);
    // σ(0) = 0.5 is exactly at the default threshold: the second class wins ties.
    expect(interpret(m, [0])).toEqual({
      class: 'positive',
      probability: 0.5,
      probabilities: { negative: 0.5, positive: 0.5 },
    });
    const low = interpret(m, [-1]); // σ(−1) = 0.2689414
    expect(low.class).toBe('negative');
    expect(low.probability).toBeCloseTo(0.7310586, 6);
    expect(low.probabilities.positive).toBeCloseTo(0.2689414, 6);
    // With the threshold at 0.2, 0.269 is enough for "positive".
    expect(interpret(manifest('sigmoid', ['negative', 'positive'], 0.2), [-1]).class).toBe('positive');
    expect(interpret(m, [-1], 0.2).class).toBe('positive');
  });

  it('softmax over three classes', () => {
    const p = interpret(manifest('softmax', ['a', 'b', 'c']), [1, 2, 3]);
    // e^1, e^2, e^3 over their sum: 0.0900306, 0.2447285, 0.6652410
    expect(p.class).toBe('c');
    expect(p.probability).toBeCloseTo(0.665241, 6);
    expect(p.probabilities.a).toBeCloseTo(0.0900306, 6);
    expect(p.probabilities.b).toBeCloseTo(0.2447285, 6);
  });

  it('softmax is unaffected by large logits (no overflow)', () => {
    const p = interpret(manifest('softmax', ['a', 'b', 'c']), [1001, 1002, 1003]);
    expect(p.probabilities.c).toBeCloseTo(0.665241, 6);
  });

  it("'none' reports the outputs as they are", () => {
    const p = interpret(manifest('none', ['a', 'b', 'c']), [0.2, 0.5, 0.3]);
    expect(p).toEqual({ class: 'b', probability: 0.5, probabilities: { a: 0.2, b: 0.5, c: 0.3 } });
  });
});

describe('Classifier on a real ONNX session', () => {
  // The tiny model: logit = 4 · mean − 2, one sigmoid output, classes dim / bright.
  it('classifies a prepared capture: 204/255 = 0.8 → logit 1.2 → p(bright) = σ(1.2) = 0.7685248', async () => {
    const c = await classifier();
    expect(c.provider).toBe('cpu');
    expect(c.identity).toMatchObject({ id: 'test-linear-mean', version: '1.0.0' });
    const bytes = await encode(
      greyImage(8, 8, 8, () => 204),
      'png',
    );
    const { tensor } = await c.preprocessor.prepare(bytes, await readCaptureInfo(bytes));
    const [p] = await c.run([tensor]);
    expect(p!.class).toBe('bright');
    expect(p!.probability).toBeCloseTo(0.7685248, 5);
    expect(p!.probabilities.dim).toBeCloseTo(0.2314752, 5);
  });

  it('a threshold given when opening overrides the manifest’s', async () => {
    const c = await classifier(tinyModelSpec, {}, { threshold: 0.8 });
    const [p] = await c.run([flat(0.8)]);
    expect(p!.class).toBe('dim');
    expect(p!.probability).toBeCloseTo(0.2314752, 5);
  });

  it('softmax over three classes: weights (1, 2, 3) on a mean of 1 give logits 1, 2, 3', async () => {
    const c = await classifier({ ...tinyModelSpec, weights: [[1, 2, 3]], bias: [0, 0, 0] });
    const [p] = await c.run([flat(1)]);
    expect(p!.class).toBe('class-2');
    expect(p!.probabilities['class-0']).toBeCloseTo(0.0900306, 5);
    expect(p!.probabilities['class-1']).toBeCloseTo(0.2447285, 5);
    expect(p!.probabilities['class-2']).toBeCloseTo(0.665241, 5);
  });

  it("'none': the model’s own outputs are the probabilities", async () => {
    const c = await classifier(
      { ...tinyModelSpec, weights: [[0.2, 0.5, 0.3]], bias: [0, 0, 0] },
      { output: { activation: 'none' } },
    );
    const [p] = await c.run([flat(1)]);
    expect(p!.class).toBe('class-1');
    expect(p!.probability).toBeCloseTo(0.5, 6);
    expect(p!.probabilities['class-0']).toBeCloseTo(0.2, 6);
  });

  it.each(['NCHW', 'NHWC'] as const)('%s: the tensor reaches the graph in its layout', async (layout) => {
    // Only the red channel counts: logit = 4 · mean(R) − 2. A pure red capture gives 2, σ(2) = 0.8807971;
    // a tensor in the wrong layout would mix in G and B (mean 1/3, logit −0.67).
    const spec = { ...tinyModelSpec, layout, channels: 3, weights: [[4], [0], [0]], bias: [-2] };
    const c = await classifier(spec);
    const bytes = await encode(
      rawImage(8, 8, 3, 8, (_x, _y, ch) => (ch === 0 ? 255 : 0)),
      'png',
    );
    const { tensor } = await c.preprocessor.prepare(bytes, await readCaptureInfo(bytes));
    const [p] = await c.run([tensor]);
    expect(p!.probabilities.bright).toBeCloseTo(0.8807971, 5);
  });

  it('a batch gives the same predictions as single runs, in order', async () => {
    const c = await classifier();
    const means = [0, 0.25, 0.5, 0.75, 1];
    const batched = await c.run(means.map((m) => flat(m)));
    const single = await Promise.all(means.map(async (m) => (await c.run([flat(m)]))[0]));
    expect(batched).toHaveLength(5);
    batched.forEach((p, i) => {
      expect(p.probabilities.bright).toBeCloseTo(sigmoid(4 * means[i]! - 2), 5);
      expect(p.probabilities.bright).toBeCloseTo(single[i]!.probabilities.bright!, 6);
      expect(p.class).toBe(single[i]!.class);
    });
    expect(batched.map((p) => p.class)).toEqual(['dim', 'dim', 'bright', 'bright', 'bright']);
  });

  it('a graph with its batch fixed at 1 still classifies a batch of 5', async () => {
    const c = await classifier({ ...tinyModelSpec, fixedBatch: true });
    expect(c.maxBatch).toBe(1);
    const means = [1, 0, 0.75, 0.25, 0.5];
    const predictions = await c.run(means.map((m) => flat(m)));
    expect(predictions.map((p) => p.probabilities.bright)).toHaveLength(5);
    predictions.forEach((p, i) => expect(p.probabilities.bright).toBeCloseTo(sigmoid(4 * means[i]! - 2), 5));
  });

  it('an empty batch is no run at all', async () => {
    expect(await (await classifier()).run([])).toEqual([]);
  });

  it.each<[string, LinearModelSpec, ManifestChanges, RegExp]>([
    [
      '3 outputs for 2 classes',
      { ...tinyModelSpec, weights: [[1, 1, 1]], bias: [0, 0, 0] },
      { classes: ['a', 'b'] },
      /gives 3 values per capture, .*2 classes with a softmax/,
    ],
    [
      '1 sigmoid output for 3 classes',
      tinyModelSpec,
      { classes: ['a', 'b', 'c'] },
      /gives 1 values? per capture, .*3 classes with a sigmoid/,
    ],
  ])(
    'refuses a model whose output count does not match its classes: %s',
    async (_what, spec, changes, message) => {
      const error = await classifier(spec, changes).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ModelError);
      expect((error as ModelError).code).toBe('manifest-invalid');
      expect((error as ModelError).message).toMatch(message);
    },
  );
});
