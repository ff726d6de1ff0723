/**
 * How well a cell detector finds the cells of labelled fields: counts per field against a true
 * instance label map, pooled over fields, with intervals from resampling whole fields (cells of one
 * field are not independent, so resampling them one by one would make intervals too narrow).
 */
import { percentileInterval, stratifiedResamples } from './bootstrap.js';

/** A labelled field: 0 is background, any other value one cell (values need not be consecutive). */
export interface FieldTruth {
  name: string;
  width: number;
  height: number;
  labels: Uint8Array | Uint16Array | Int32Array;
}

export interface FieldDetection {
  centres: Array<{ x: number; y: number }>;
  /** Predicted instance labels at the truth's size, or null. */
  labels: Int32Array | null;
}

export interface FieldCounts {
  name: string;
  cells: number;
  found: number;
  centreTp: number;
  /** Null when the detector gave no labels for the field. */
  iouTp: number | null;
}

export interface Metric {
  value: number | null;
  interval: [number, number] | null;
}

export interface DetectionReport {
  n: number;
  cells: number;
  found: number;
  /** Centre matching. */
  precision: Metric;
  recall: Metric;
  f1: Metric;
  /** Mask IoU ≥ 0.5; null unless every field has predicted labels. */
  iou50: { precision: Metric; recall: Metric; f1: Metric } | null;
  perField: Array<
    FieldCounts & {
      precision: number | null;
      recall: number | null;
      f1: number | null;
      f1Iou50: number | null;
    }
  >;
}

export function countField(truth: FieldTruth, found: FieldDetection): FieldCounts {
  const { name, width, height, labels } = truth;
  if (labels.length !== width * height) {
    throw new Error(`The labels of field ${name} hold ${labels.length} values, not ${width} × ${height}.`);
  }
  const cells = new Set(labels);
  cells.delete(0);

  // A centre counts for the cell it falls in; each cell takes at most one, the rest are false positives.
  const matched = new Set<number>();
  for (const { x, y } of found.centres) {
    const column = Math.floor(x);
    const row = Math.floor(y);
    if (!(column >= 0 && row >= 0 && column < width && row < height)) continue; // also NaN
    const cell = labels[row * width + column]!;
    if (cell !== 0) matched.add(cell);
  }

  return {
    name,
    cells: cells.size,
    found: found.centres.length,
    centreTp: matched.size,
    iouTp: found.labels ? iouMatches(truth, found.labels) : null,
  };
}

/**
 * Predicted instances matched one to one with true ones at IoU ≥ 0.5. A pair above 0.5 can share
 * neither of its instances with another pair at 0.5 or more, so only pairs at exactly 0.5 ever
 * compete; they are taken greedily in the order they are first met in raster order.
 */
function iouMatches(truth: FieldTruth, predicted: Int32Array): number {
  if (predicted.length !== truth.labels.length) {
    throw new Error(
      `The predicted labels of field ${truth.name} hold ${predicted.length} values, not ${truth.width} × ${truth.height}.`,
    );
  }
  // Instances become small indices (by first pixel) so that a pair's key is an exact number.
  const trueIndex = new Map<number, number>();
  const predictedIndex = new Map<number, number>();
  const trueArea: number[] = [];
  const predictedArea: number[] = [];
  const indexOf = (indices: Map<number, number>, areas: number[], label: number): number => {
    let index = indices.get(label);
    if (index === undefined) {
      indices.set(label, (index = areas.length));
      areas.push(0);
    }
    areas[index]!++;
    return index;
  };
  const overlaps = new Map<number, { predicted: number; truth: number; pixels: number }>();
  for (let p = 0; p < predicted.length; p++) {
    const t = truth.labels[p]!;
    const q = predicted[p]!;
    const ti = t === 0 ? -1 : indexOf(trueIndex, trueArea, t);
    const qi = q === 0 ? -1 : indexOf(predictedIndex, predictedArea, q);
    if (ti < 0 || qi < 0) continue;
    const key = qi * predicted.length + ti;
    const overlap = overlaps.get(key);
    if (overlap) overlap.pixels++;
    else overlaps.set(key, { predicted: qi, truth: ti, pixels: 1 });
  }

  const usedPredicted = new Uint8Array(predictedArea.length);
  const usedTruth = new Uint8Array(trueArea.length);
  let matches = 0;
  for (const { predicted: qi, truth: ti, pixels } of overlaps.values()) {
    // IoU = I / (P + T − I) ≥ 1/2, in integers: 3I ≥ P + T.
    if (3 * pixels < predictedArea[qi]! + trueArea[ti]! || usedPredicted[qi] || usedTruth[ti]) continue;
    usedPredicted[qi] = 1;
    usedTruth[ti] = 1;
    matches++;
  }
  return matches;
}

interface Rates {
  precision: number | null;
  recall: number | null;
  f1: number | null;
}

const rates = (tp: number, found: number, cells: number): Rates => ({
  precision: found === 0 ? null : tp / found,
  recall: cells === 0 ? null : tp / cells,
  f1: found + cells === 0 ? null : (2 * tp) / (found + cells),
});

interface Pooled {
  centre: Rates;
  iou50: Rates | null;
}

function pool(fields: readonly FieldCounts[]): Pooled {
  let cells = 0;
  let found = 0;
  let centreTp = 0;
  let iouTp: number | null = 0;
  for (const field of fields) {
    cells += field.cells;
    found += field.found;
    centreTp += field.centreTp;
    iouTp = iouTp === null || field.iouTp === null ? null : iouTp + field.iouTp;
  }
  return {
    centre: rates(centreTp, found, cells),
    iou50: iouTp === null ? null : rates(iouTp, found, cells),
  };
}

/** Pooled counts over fields, each metric with a percentile interval over resamples of whole fields. */
export function detectionReport(
  fields: FieldCounts[],
  options: { resamples?: number; seed?: number; level?: number } = {},
): DetectionReport {
  const { resamples = 2000, seed = 1, level = 0.95 } = options;
  const point = pool(fields);
  // One stratum: whole fields drawn with replacement, as many as there are.
  const replicates = stratifiedResamples(
    fields.map(() => 0),
    fields.length === 0 ? 0 : resamples,
    seed,
  ).map((indices) => pool(indices.map((i) => fields[i]!)));
  const metric = (value: number | null, of: (p: Pooled) => number | null): Metric => ({
    value,
    interval: value === null ? null : percentileInterval(replicates.map(of), level),
  });
  const metrics = (rates: Rates, of: (p: Pooled) => Rates | null) => ({
    precision: metric(rates.precision, (p) => of(p)?.precision ?? null),
    recall: metric(rates.recall, (p) => of(p)?.recall ?? null),
    f1: metric(rates.f1, (p) => of(p)?.f1 ?? null),
  });

  return {
    n: fields.length,
    cells: fields.reduce((sum, f) => sum + f.cells, 0),
    found: fields.reduce((sum, f) => sum + f.found, 0),
    ...metrics(point.centre, (p) => p.centre),
    iou50: point.iou50 && metrics(point.iou50, (p) => p.iou50),
    perField: fields.map((field) => ({
      ...field,
      ...rates(field.centreTp, field.found, field.cells),
      f1Iou50: field.iouTp === null ? null : rates(field.iouTp, field.found, field.cells).f1,
    })),
  };
}

/** Nearest-neighbour upsampling of a label map (e.g. a detector's half-scale labels) to toWidth × toHeight. */
export function resizeLabels(
  labels: Int32Array,
  width: number,
  height: number,
  toWidth: number,
  toHeight: number,
): Int32Array {
  if (labels.length !== width * height) {
    throw new Error(`The label map holds ${labels.length} values, not ${width} × ${height}.`);
  }
  // Each target pixel takes the source pixel under its centre.
  const sourceColumn = Int32Array.from({ length: toWidth }, (_, x) =>
    Math.min(width - 1, Math.floor(((x + 0.5) * width) / toWidth)),
  );
  const resized = new Int32Array(toWidth * toHeight);
  for (let y = 0; y < toHeight; y++) {
    const sourceRow = Math.min(height - 1, Math.floor(((y + 0.5) * height) / toHeight)) * width;
    for (let x = 0; x < toWidth; x++) resized[y * toWidth + x] = labels[sourceRow + sourceColumn[x]!]!;
  }
  return resized;
}
