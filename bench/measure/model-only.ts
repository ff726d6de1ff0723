import { availableParallelism } from 'node:os';
import { Classifier } from '../../electron/core/model/classifier.js';
import type { ProviderName } from '../../electron/core/model/providers.js';
import { seconds } from './stats.js';

export interface ModelOnly {
  rate: number;
  batch: number;
  threads: number;
  /** Batch-1 latency of one inference, ms: the median of the runs at the best thread count. */
  singleMs: number;
}

/** CPU thread counts worth trying: one, two, half and all of the cores. */
export function threadCounts(cores = availableParallelism()): number[] {
  return [...new Set([1, 2, Math.floor(cores / 2), cores])].filter((n) => n >= 1 && n <= cores).sort((a, b) => a - b);
}

/** One batch size and thread count measured: images per second, and this process's CPU per image (every thread). */
export interface ModelOnlyRun {
  rate: number;
  cpuMsPerImage: number;
}

/** Runs one batch size for `budgetSeconds` (at least 3 runs): images per second, CPU per image and each run's ms. */
export async function timeBatches(classifier: Classifier, batch: number, budgetSeconds: number): Promise<ModelOnlyRun & { times: number[] }> {
  const { input } = classifier.manifest;
  const size = input.channels * input.width * input.height;
  const tensors = Array.from({ length: batch }, () => Float32Array.from({ length: size }, () => Math.random()));
  await classifier.run(tensors); // warm-up
  const times: number[] = [];
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  let images = 0;
  while (seconds(start) < budgetSeconds || times.length < 3) {
    const t = process.hrtime.bigint();
    await classifier.run(tensors);
    times.push(seconds(t) * 1000);
    images += batch;
  }
  const rate = images / seconds(start);
  const used = process.cpuUsage(cpu);
  return { rate, cpuMsPerImage: (used.user + used.system) / 1000 / images, times };
}

/**
 * Images per second of ONNX Runtime alone on tensors already in memory, for the best batch size
 * and thread count: the ceiling the pipeline's inference stage can reach. A GPU runs whole batches
 * itself, so there only the batch size varies, up to 32.
 */
export async function measureModelOnly(modelFolder: string, budgetSeconds = 3, provider: ProviderName = 'cpu'): Promise<ModelOnly> {
  const gpu = provider !== 'cpu';
  let best: ModelOnly = { rate: 0, batch: 1, threads: 1, singleMs: Number.NaN };
  for (const threads of gpu ? [availableParallelism()] : threadCounts()) {
    const classifier = await Classifier.open(modelFolder, { provider, threads });
    let singleMs = Number.NaN;
    let bestHere = { rate: 0, batch: 1 };
    for (const batch of gpu ? [1, 8, 16, 32] : [1, 8, 16]) {
      const { rate, times } = await timeBatches(classifier, batch, budgetSeconds);
      if (batch === 1) singleMs = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
      if (rate > bestHere.rate) bestHere = { rate, batch };
    }
    await classifier.close();
    if (bestHere.rate > best.rate) best = { ...bestHere, threads, singleMs };
  }
  return best;
}

/** One batch size and thread count, measured again: to compare with runs made just before or after it. */
export async function measureModelOnlyAt(
  modelFolder: string,
  setting: Pick<ModelOnly, 'batch' | 'threads'>,
  budgetSeconds: number,
  provider: ProviderName = 'cpu',
): Promise<ModelOnlyRun> {
  const classifier = await Classifier.open(modelFolder, { provider, threads: setting.threads });
  try {
    const { rate, cpuMsPerImage } = await timeBatches(classifier, setting.batch, budgetSeconds);
    return { rate, cpuMsPerImage };
  } finally {
    await classifier.close();
  }
}
