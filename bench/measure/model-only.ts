import { Classifier } from '../../electron/core/model/classifier.js';
import { seconds } from './stats.js';

export interface ModelOnly {
  rate: number;
  batch: number;
  threads: number;
  /** Batch-1 latency of one inference, ms (median of the runs). */
  singleMs: number;
}

/**
 * Images per second of ONNX Runtime alone on tensors already in memory, for the best batch size
 * and thread count: the ceiling the pipeline's inference stage can reach.
 */
export async function measureModelOnly(modelFolder: string, budgetSeconds = 3): Promise<ModelOnly> {
  let best: ModelOnly = { rate: 0, batch: 1, threads: 1, singleMs: Number.NaN };
  let singleMs = Number.NaN;
  for (const threads of [1, 2]) {
    const classifier = await Classifier.open(modelFolder, { provider: 'cpu', threads });
    const { input } = classifier.manifest;
    const size = input.channels * input.width * input.height;
    for (const batch of [1, 8, 16]) {
      const tensors = Array.from({ length: batch }, () => Float32Array.from({ length: size }, () => Math.random()));
      await classifier.run(tensors); // warm-up
      const times: number[] = [];
      const start = process.hrtime.bigint();
      let images = 0;
      while (seconds(start) < budgetSeconds || times.length < 3) {
        const t = process.hrtime.bigint();
        await classifier.run(tensors);
        times.push(seconds(t) * 1000);
        images += batch;
      }
      const rate = images / seconds(start);
      if (batch === 1 && threads === 2) singleMs = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
      if (rate > best.rate) best = { rate, batch, threads, singleMs: Number.NaN };
    }
    await classifier.close();
  }
  return { ...best, singleMs };
}
