/**
 * Whole fields: where one field's time goes on its way to the classifier (decode, the detector,
 * cutting and matching the crops), the detector and the classifier alone, and the ideal rate.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { decodePixels, readCaptureInfo, type CaptureInfo } from '../../electron/core/capture/decode.js';
import type { Analysis } from '../../electron/core/cells/analysis.js';
import { loadDetectorFolder } from '../../electron/core/model/manifest.js';
import type { ProviderName } from '../../electron/core/model/providers.js';
import { openSessionThread } from '../../electron/core/model/session-thread.js';
import type { Classifier } from '../../electron/core/model/classifier.js';
import { timeBatches } from './model-only.js';
import { percentile, seconds } from './stats.js';

const fieldExtensions = new Set(['.tif', '.tiff', '.png', '.jpg', '.jpeg']);

/** The image files directly in `folder`, by name, at most `count`: real fields, read where they lie. */
export async function listFields(folder: string, count: number): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && fieldExtensions.has(path.extname(e.name).toLowerCase()))
    .map((e) => path.join(folder, e.name))
    .sort()
    .slice(0, count);
}

/** The crop batch a median field gives the classifier: all its cells at once (the pipeline never splits a field), at least 1. */
export function fieldBatchOf(cellsPerField: number[]): number {
  const median = Math.round(percentile(cellsPerField, 50));
  return Number.isFinite(median) && median > 0 ? median : 1;
}

/** The crop batch sizes to measure the classifier at: a median field's, and the pipeline's batch size. Ascending, no repeats. */
export function cropBatchSizes(cellsPerField: number[], pipelineBatch: number): number[] {
  return [...new Set([pipelineBatch, fieldBatchOf(cellsPerField)])].sort((a, b) => a - b);
}

/**
 * Fields per second with every core busy and nothing wasted: the cores' time divided by the CPU
 * time one field costs (preparing it, detector included, plus classifying its cells). It is the
 * capture rows' ideal, 1 / (1/model-only + 1/decode-only), with each stage at its CPU-bound rate.
 */
export function idealFieldsPerSecond(cores: number, prepareCpuMs: number, cellsPerField: number, cropCpuMs: number): number {
  return (cores * 1000) / (prepareCpuMs + cellsPerField * cropCpuMs);
}

/** One stage's cost per field, one field at a time: median wall ms and mean CPU ms (every thread). */
export interface StageCost {
  ms: number;
  cpuMs: number;
}

export interface FieldStages {
  fields: number;
  /** Cells the detector found in each field (in order). */
  cells: number[];
  /** Decoding the field to grey pixels at full resolution. */
  decode: StageCost;
  /** `Detector.find` on decoded pixels: resize, network, maps, decoder. */
  find: StageCost;
  /** `analysis.prepare(…, {choice: 'find-cells'})`: decode, find, cut and match every crop. */
  prepare: StageCost;
  /** What `prepare` costs beyond decode and find: cutting, quantile matching, the pixel-size read. */
  crops: StageCost;
}

const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Times `work` once: wall ms and CPU ms of the whole process (worker threads included). */
async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number; cpuMs: number }> {
  const cpu = cpuNow();
  const start = process.hrtime.bigint();
  const value = await work();
  return { value, ms: seconds(start) * 1000, cpuMs: cpuNow() - cpu };
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const cost = (runs: { ms: number; cpuMs: number }[]): StageCost => ({
  ms: percentile(runs.map((r) => r.ms), 50),
  cpuMs: mean(runs.map((r) => r.cpuMs)),
});

/**
 * Each field through decode, the detector and the whole prepare step, one field at a time as the
 * pipeline hands each to the detector, `rounds` times (after one warm-up field). The files are read
 * before timing.
 */
export async function measureFieldStages(analysis: Analysis, files: string[], rounds = 1): Promise<FieldStages> {
  const { detector, classifier } = analysis;
  if (!detector) throw new Error('Whole fields need a cell finder: the analysis has none.');
  const fields: { bytes: Uint8Array; info: CaptureInfo }[] = [];
  for (const file of files) {
    const bytes = await readFile(file);
    fields.push({ bytes, info: await readCaptureInfo(bytes) });
  }
  const decode = (f: (typeof fields)[number]) =>
    decodePixels(f.bytes, f.info, { page: classifier.manifest.preprocessing.page, colour: 'grey' });
  await analysis.prepare(fields[0]!.bytes, fields[0]!.info, { choice: 'find-cells' }); // warm-up
  const runs = { decode: [] as StageCost[], find: [] as StageCost[], prepare: [] as StageCost[], crops: [] as StageCost[] };
  let cells: number[] = [];
  for (let round = 0; round < rounds; round++) {
    cells = [];
    for (const field of fields) {
      const decoded = await timed(() => decode(field));
      const found = await timed(() => detector.find(decoded.value));
      const prepared = await timed(() => analysis.prepare(field.bytes, field.info, { choice: 'find-cells' }));
      cells.push(prepared.value.inputs.length);
      runs.decode.push(decoded);
      runs.find.push(found);
      runs.prepare.push(prepared);
      runs.crops.push({ ms: prepared.ms - decoded.ms - found.ms, cpuMs: prepared.cpuMs - decoded.cpuMs - found.cpuMs });
    }
  }
  return {
    fields: fields.length,
    cells,
    decode: cost(runs.decode),
    find: cost(runs.find),
    prepare: cost(runs.prepare),
    crops: cost(runs.crops),
  };
}

/**
 * The detector's network alone on a field of `size`, as the pipeline runs it (one field per run, at
 * the manifest's scale and padding), on its own session: ms and CPU ms per field.
 */
export async function measureDetectorModel(
  folder: string,
  size: { width: number; height: number },
  provider: ProviderName,
  budgetSeconds: number,
): Promise<StageCost> {
  const model = await loadDetectorFolder(folder);
  const { scale, multipleOf } = model.manifest.input;
  const padded = (n: number) => Math.ceil(Math.max(1, Math.round(n * scale)) / multipleOf) * multipleOf;
  const dims = [1, 1, padded(size.height), padded(size.width)];
  const tensor = Float32Array.from({ length: dims[2]! * dims[3]! }, () => Math.random() * 4 - 2);
  const session = await openSessionThread(model, { provider });
  try {
    await session.run(tensor.slice(), dims); // warm-up
    const runs: StageCost[] = [];
    const start = process.hrtime.bigint();
    while (seconds(start) < budgetSeconds || runs.length < 3) {
      const input = tensor.slice(); // the run moves its input to the model's thread
      runs.push(await timed(() => session.run(input, dims)));
    }
    return cost(runs);
  } finally {
    await session.release();
  }
}

/** The classifier alone at one crop batch size: ms per batch (median), and ms and CPU ms per crop. */
export interface CropBatch {
  batch: number;
  batchMs: number;
  cropMs: number;
  cropCpuMs: number;
}

export async function measureCropBatches(classifier: Classifier, batches: number[], budgetSeconds: number): Promise<CropBatch[]> {
  const measured: CropBatch[] = [];
  for (const batch of batches) {
    const { rate, cpuMsPerImage, times } = await timeBatches(classifier, batch, budgetSeconds);
    measured.push({ batch, batchMs: percentile(times, 50), cropMs: 1000 / rate, cropCpuMs: cpuMsPerImage });
  }
  return measured;
}
