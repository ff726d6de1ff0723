import type { CapturePixels } from '../capture/decode.js';

/**
 * One cell's crop, cut from a whole field the way a classifier's training crops were cut: a window
 * of the classifier's input size around the cell's centre, at the training data's pixel size.
 *
 * Coordinates: a centre is in pixel indices (pixel (i, j) is the point (i, j), as a detector's peak
 * or a clicked pixel); a window is in pixel edges (pixel i covers [i, i + 1)), so at native pixel
 * size a window is a whole block of pixels starting at (x, y).
 */

/** In capture pixels; may extend past the field. */
export interface CropWindow {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface CropPlan {
  centre: { x: number; y: number };
  window: CropWindow;
  /** True when the window crosses the field's edge: the missing part is mirrored. */
  edge: boolean;
  /** Capture pixels per crop pixel (1 = native pixel size). */
  scale: number;
}

/** The window of crop size (width × height of the classifier, scaled by `scale`) centred on (x, y). */
export function planCrop(
  centre: { x: number; y: number },
  crop: { width: number; height: number },
  field: { width: number; height: number },
  scale = 1,
): CropPlan {
  if (!(scale > 0 && Number.isFinite(scale)))
    throw new Error(`A crop's scale must be a positive number, not ${scale}.`);
  const width = crop.width * scale;
  const height = crop.height * scale;
  // The window's middle lies on the centre pixel's middle. At native size it snaps to whole pixels,
  // so the crop is a copy: for an even width the centre pixel lands just left of the middle
  // (index width/2 - 1), as in the source lab's CellCropping.m.
  let x = centre.x + 0.5 - width / 2;
  let y = centre.y + 0.5 - height / 2;
  if (scale === 1) {
    x = Math.round(x);
    y = Math.round(y);
  }
  const edge = x < 0 || y < 0 || x + width > field.width || y + height > field.height;
  return { centre: { ...centre }, window: { x, y, width, height }, edge, scale };
}

/**
 * Cuts a grey crop (1 channel, the field's bit depth) of exactly crop.width × crop.height. At scale 1
 * it is a straight copy; otherwise bilinear sampling, widened to `scale` pixels when shrinking so
 * that fine texture averages out instead of aliasing (as PIL's and torchvision's antialiased
 * bilinear). Pixels outside the field are mirrored without repeating the edge pixel (-1 → 1), so a
 * cell at the border sees plausible texture rather than a black band the classifier never saw.
 */
export function cutCrop(
  field: CapturePixels,
  plan: CropPlan,
  crop: { width: number; height: number },
): CapturePixels {
  if (field.channels !== 1)
    throw new Error(`Crops are cut from grey fields; this field has ${field.channels} channels.`);
  const data =
    field.bitDepth === 16
      ? new Uint16Array(crop.width * crop.height)
      : new Uint8Array(crop.width * crop.height);
  const { x, y } = plan.window;
  if (plan.scale === 1 && Number.isInteger(x) && Number.isInteger(y)) copyWindow(field, x, y, crop, data);
  else resample(field, plan, crop, data);
  return { width: crop.width, height: crop.height, channels: 1, bitDepth: field.bitDepth, data };
}

/** Native pixel size: whole rows copied where the window is inside, mirrored indices where not. */
function copyWindow(
  field: CapturePixels,
  x: number,
  y: number,
  crop: { width: number; height: number },
  data: Uint8Array | Uint16Array,
): void {
  const source = field.data;
  const inside = x >= 0 && x + crop.width <= field.width;
  const columns = Int32Array.from({ length: crop.width }, (_, i) => mirror(x + i, field.width));
  for (let j = 0; j < crop.height; j++) {
    const row = mirror(y + j, field.height) * field.width;
    const target = j * crop.width;
    if (inside) data.set(source.subarray(row + x, row + x + crop.width), target);
    else for (let i = 0; i < crop.width; i++) data[target + i] = source[row + columns[i]!]!;
  }
}

/** Any other scale: filters along rows first, only the field rows the crop uses, then down the columns. */
function resample(
  field: CapturePixels,
  plan: CropPlan,
  crop: { width: number; height: number },
  data: Uint8Array | Uint16Array,
): void {
  const columns = samplingTaps(plan.window.x, plan.scale, crop.width, field.width);
  const rows = samplingTaps(plan.window.y, plan.scale, crop.height, field.height);
  const firstRow = rows.index.reduce((a, b) => Math.min(a, b));
  const usedRows = rows.index.reduce((a, b) => Math.max(a, b)) - firstRow + 1;
  const used = new Uint8Array(usedRows);
  for (const r of rows.index) used[r - firstRow] = 1;
  const along = new Float64Array(usedRows * crop.width);
  const source = field.data;
  for (let r = 0; r < usedRows; r++) {
    if (!used[r]) continue;
    const sourceRow = (firstRow + r) * field.width;
    const targetRow = r * crop.width;
    for (let i = 0; i < crop.width; i++) {
      let sum = 0;
      for (let t = columns.start[i]!; t < columns.start[i + 1]!; t++) {
        sum += columns.weight[t]! * source[sourceRow + columns.index[t]!]!;
      }
      along[targetRow + i] = sum;
    }
  }
  const width = crop.width;
  const sum = new Float64Array(width);
  for (let j = 0; j < crop.height; j++) {
    sum.fill(0.5); // weights are positive and sum to 1: adding 0.5, then truncating, rounds
    for (let t = rows.start[j]!; t < rows.start[j + 1]!; t++) {
      const w = rows.weight[t]!;
      const from = (rows.index[t]! - firstRow) * width;
      for (let i = 0; i < width; i++) sum[i]! += w * along[from + i]!;
    }
    data.set(sum, j * width);
  }
}

/**
 * For each of `count` crop pixels along one axis, the field pixels it blends and their weights:
 * crop pixel k's taps are index/weight[start[k] .. start[k + 1]).
 */
interface Taps {
  start: Int32Array;
  index: Int32Array;
  weight: Float64Array;
}

/** A triangle (bilinear) filter of radius max(1, scale) around each crop pixel's middle. */
function samplingTaps(origin: number, scale: number, count: number, size: number): Taps {
  const radius = Math.max(1, scale);
  const start = new Int32Array(count + 1);
  const index: number[] = [];
  const weight: number[] = [];
  for (let k = 0; k < count; k++) {
    start[k] = index.length;
    const middle = origin + (k + 0.5) * scale - 0.5; // in pixel indices
    let total = 0;
    for (let p = Math.ceil(middle - radius); p <= Math.floor(middle + radius); p++) {
      const w = 1 - Math.abs(p - middle) / radius;
      if (w <= 0) continue;
      index.push(mirror(p, size));
      weight.push(w);
      total += w;
    }
    for (let t = start[k]!; t < weight.length; t++) weight[t]! /= total;
  }
  start[count] = index.length;
  return { start, index: Int32Array.from(index), weight: Float64Array.from(weight) };
}

/** Reflects an index into 0..size-1 without repeating the edge pixel: -1 → 1, size → size - 2. */
function mirror(p: number, size: number): number {
  if (size === 1) return 0;
  const period = 2 * (size - 1);
  const folded = ((p % period) + period) % period;
  return folded < size ? folded : period - folded;
}
