import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCaptureInfo } from '../../electron/core/capture/decode.js';
import { Analysis } from '../../electron/core/cells/analysis.js';
import { Classifier } from '../../electron/core/model/classifier.js';
import { loadModelFolder, type ModelFolder } from '../../electron/core/model/manifest.js';

// The shipped default model: its manifest must load in the engine, and the ONNX file must give
// what PyTorch gave at training time (metrics.json keeps those logits for a few real captures).
const modelDir = fileURLToPath(new URL('../default', import.meta.url));
const dataDir = fileURLToPath(new URL('../../../shared/data/brightfield-celltype', import.meta.url));

interface Metrics {
  reference_outputs: { file: string; logit: number }[];
}

describe('default model', () => {
  let model: ModelFolder;
  let session: ort.InferenceSession;

  beforeAll(async () => {
    model = await loadModelFolder(modelDir);
    session = await ort.InferenceSession.create(model.onnxBytes, { executionProviders: ['cpu'] });
  });

  /**
   * What PyTorch saw at training time: the crop (already matched to the reference by its authors)
   * / 255, then (x - mean) / std. This compares the exported graph, not the intensity step.
   */
  async function preprocess(file: string): Promise<Float32Array> {
    const { width, height } = model.manifest.input;
    const { data } = await sharp(file).greyscale().resize(width, height, { fit: 'fill' }).raw().toBuffer({
      resolveWithObject: true,
    });
    const [mean] = model.manifest.preprocessing.mean;
    const [std] = model.manifest.preprocessing.std;
    return Float32Array.from(data, (v) => (v / 255 - mean!) / std!);
  }

  async function logits(pixels: Float32Array, batch: number): Promise<number[]> {
    const { name, height, width } = model.manifest.input;
    const input = new ort.Tensor('float32', pixels, [batch, 1, height, width]);
    const output = (await session.run({ [name]: input }))[model.manifest.output.name]!;
    expect(output.dims).toEqual([batch, 1]);
    return Array.from(output.data as Float32Array);
  }

  it('has the inputs and outputs its manifest names', () => {
    expect(session.inputNames).toEqual([model.manifest.input.name]);
    const features = model.manifest.scope?.features?.output;
    expect(session.outputNames).toEqual(features ? [model.manifest.output.name, features] : [model.manifest.output.name]);
    expect(model.manifest.classes).toEqual(['HEK-293A', 'HT1080']);
  });

  it('gives each image the same logit alone or in a batch', async () => {
    const size = model.manifest.input.width * model.manifest.input.height;
    const batch = new Float32Array(2 * size).map((_, i) => Math.sin(i * 0.001) * (i < size ? 1 : -1));
    const [first, second] = await logits(batch, 2);
    expect(first).toBeCloseTo((await logits(batch.subarray(0, size), 1))[0]!, 4);
    expect(second).toBeCloseTo((await logits(batch.subarray(size), 1))[0]!, 4);
  });

  it.skipIf(!existsSync(dataDir))('matches PyTorch on real captures', async () => {
    const metrics = JSON.parse(await readFile(path.join(modelDir, 'metrics.json'), 'utf8')) as Metrics;
    expect(metrics.reference_outputs.length).toBeGreaterThan(0);
    for (const { file, logit } of metrics.reference_outputs) {
      const [actual] = await logits(await preprocess(path.join(dataDir, file)), 1);
      expect(Math.abs(actual! - logit), file).toBeLessThan(1e-4);
    }
  });
});

const sharedData = fileURLToPath(new URL('../../../shared/data', import.meta.url));

describe.skipIf(!existsSync(sharedData))('default model scope on real images', () => {
  let classifier: Classifier;
  beforeAll(async () => {
    classifier = await Classifier.open(modelDir, { provider: 'cpu', threads: 1 });
  });
  afterAll(async () => {
    await classifier?.close();
  });

  const verdict = async (file: string) => verdictOf(await readFile(file));

  async function verdictOf(bytes: Buffer) {
    const analysis = new Analysis(classifier, null);
    const prepared = await analysis.prepare(bytes, await readCaptureInfo(bytes), { choice: 'one-cell' });
    return analysis.conclude(prepared, await classifier.run(prepared.inputs)).scope;
  }

  it('says the fluorescence TIFF is out of scope, in words a biologist understands', async () => {
    const scope = await verdict(path.join(sharedData, 'microscope-tiff/cellprofiler-illumination-cherry-uint16.tif'));
    expect(scope.inScope).toBe(false);
    expect(scope.reason).toMatch(/16-bit image|fluorescence/);
  });

  const crops = () =>
    ['HEK293A', 'HT1080'].flatMap((line) =>
      readdirSync(path.join(sharedData, 'brightfield-celltype', line))
        .slice(0, 10)
        .map((name) => path.join(sharedData, 'brightfield-celltype', line, name)),
    );

  it('keeps the brightfield crops in scope', async () => {
    const verdicts = await Promise.all(crops().map((file) => readFile(file).then(verdictOf)));
    // These crops trained the model: every one is in scope (held-out frames pass ~95%, see the card).
    expect(verdicts.filter((v) => v.inScope).length).toBe(crops().length);
  });

  it('refuses the same crops with their contrast inverted, and says the cells look brighter than the background', async () => {
    const inverted = await Promise.all(
      crops().map((file) => sharp(file).greyscale().negate().png().toBuffer().then(verdictOf)),
    );
    for (const scope of inverted) {
      expect(scope.inScope).toBe(false);
      expect(scope.reason).toMatch(/The cells look brighter than the background/);
    }
  });
});
