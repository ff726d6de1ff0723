import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { decodePixels, readCaptureInfo, type CapturePixels } from '../../electron/core/capture/decode.js';
import { FeatureDistance } from '../../electron/core/model/feature-distance.js';
import { loadModelFolder } from '../../electron/core/model/manifest.js';
import { Preprocessor, type PixelSource } from '../../electron/core/model/preprocess.js';

/** CPU ms per capture of each part of the scope check, and their sum. */
export interface ScopeCost {
  /** The manifest's input checks on the pixels the model is given. */
  inputChecksMs: number;
  /** The Mahalanobis distance of one feature vector. */
  distanceMs: number;
  /** Asking ONNX Runtime for the features output beside the class output, per image at batch 8. */
  featuresOutputMs: number;
  totalMs: number;
}

const cpuMs = (start: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
};

/** CPU ms per call of `work`, repeated for at least `seconds` of wall time. */
function perCall(work: () => void, seconds: number): number {
  work();
  const start = process.cpuUsage();
  const until = performance.now() + seconds * 1000;
  let calls = 0;
  while (performance.now() < until) {
    work();
    calls++;
  }
  return cpuMs(start) / calls;
}

async function perRun(run: () => Promise<unknown>, seconds: number): Promise<number> {
  await run();
  const start = process.cpuUsage();
  const until = performance.now() + seconds * 1000;
  let runs = 0;
  while (performance.now() < until) {
    await run();
    runs++;
  }
  return cpuMs(start) / runs;
}

/**
 * What the scope check adds to one capture, on the CPU: the input checks on the decoded pixels,
 * the distance of the features to the training classes, and the features output of the graph.
 * Null for a model that states no scope. Measured alone because 10% of a capture's cost is
 * within the end-to-end run's noise on a shared machine.
 */
export async function measureScopeCost(modelFolder: string, files: string[], seconds = 2): Promise<ScopeCost | null> {
  const model = await loadModelFolder(modelFolder);
  const { manifest } = model;
  if (!manifest.scope) return null;
  const preprocessor = await Preprocessor.open(manifest, modelFolder);
  const { input, preprocessing } = manifest;
  const images: { pixels: CapturePixels; source: PixelSource }[] = [];
  for (const file of files) {
    const bytes = await readFile(file);
    const info = await readCaptureInfo(bytes);
    const pixels = await decodePixels(bytes, info, {
      page: preprocessing.page,
      size: { width: input.width, height: input.height, resize: preprocessing.resize },
      colour: input.channels === 1 ? 'grey' : 'rgb',
    });
    const source = { channels: info.colour === 'grey' ? 1 : 3, bitDepth: info.bitDepth, whole: true, width: info.width, height: info.height };
    images.push({ pixels, source });
  }
  let next = 0;
  const inputChecksMs = perCall(() => {
    const { pixels, source } = images[next++ % images.length]!;
    preprocessor.check(pixels, source);
  }, seconds / 2);

  const features = manifest.scope.features;
  if (!features) return { inputChecksMs, distanceMs: 0, featuresOutputMs: 0, totalMs: inputChecksMs };
  const distance = await FeatureDistance.open(modelFolder, features.file);
  const vector = Float32Array.from({ length: distance.dims }, (_, i) => Math.sin(i));
  const distanceMs = perCall(() => distance.score(vector), seconds / 4);

  const batch = 8;
  const session = await ort.InferenceSession.create(model.onnxBytes, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  try {
    const tensor = new ort.Tensor('float32', new Float32Array(batch * input.channels * input.height * input.width).fill(0.5), [
      batch,
      input.channels,
      input.height,
      input.width,
    ]);
    const feeds = { [input.name]: tensor };
    const classOnly = await perRun(() => session.run(feeds, [manifest.output.name]), seconds);
    const withFeatures = await perRun(() => session.run(feeds, [manifest.output.name, features.output]), seconds);
    const featuresOutputMs = Math.max(0, withFeatures - classOnly) / batch;
    return { inputChecksMs, distanceMs, featuresOutputMs, totalMs: inputChecksMs + distanceMs + featuresOutputMs };
  } finally {
    await session.release();
  }
}
