import { readFile } from 'node:fs/promises';
import { decodePixels, readCaptureInfo, type CapturePixels } from '../capture/decode.js';
import { histogram } from '../capture/intensity.js';

/**
 * Quantile matching to one reference cell, the intensity step of classifiers trained on crops
 * normalised as the source lab's CellNormalization/QuanNorm.m does it:
 *
 *   pTiles = (1:N)/N; refV = prctile(refIm(:), pTiles*100); pTileIm = prctile(trialIm(:), pTiles*100);
 *   a pixel takes refV(j) for the highest j with pTileIm(j) <= pixel (refV(1) below pTileIm(1)).
 *
 * So every crop ends up with nearly the reference's histogram. Quantiles follow MATLAB's prctile,
 * and the mapping is that step, not an interpolation: matching is only faithful if it is the same.
 */
export interface ReferenceQuantiles {
  /** The reference's quantiles at probabilities k/n, k = 1..n (prctile at (1:n)/n·100). */
  values: Float64Array;
  bitDepth: 8 | 16;
}

/** Reads a reference image (any format sharp reads; grey or colour → grey) and takes its n quantiles. */
export async function loadReferenceQuantiles(file: string, n: number): Promise<ReferenceQuantiles> {
  const bytes = await readFile(file);
  const info = await readCaptureInfo(bytes);
  const pixels = await decodePixels(bytes, info, { colour: 'grey' });
  return { values: quantilesOf(pixels.data, pixels.bitDepth, n), bitDepth: pixels.bitDepth };
}

/**
 * The quantiles at probabilities k/n, k = 1..n, as MATLAB's prctile takes them: the i-th smallest
 * of m values (from 0) sits at probability (i + 0.5)/m, values between are interpolated linearly,
 * beyond the first and last the smallest and largest are taken. The last quantile is the maximum.
 */
export function quantilesOf(data: Uint8Array | Uint16Array, bitDepth: 8 | 16, n: number): Float64Array {
  if (data.length === 0) throw new Error('Quantiles of an image without pixels were asked for.');
  if (!(Number.isInteger(n) && n > 0))
    throw new Error(`The number of quantiles must be a positive whole number, not ${n}.`);
  // A counting sort from the histogram: linear in the pixels, never a comparison sort.
  const counts = histogram(data, bitDepth);
  const sorted = bitDepth === 16 ? new Uint16Array(data.length) : new Uint8Array(data.length);
  for (let value = 0, at = 0; value < counts.length; value++) {
    const count = counts[value]!;
    if (count === 0) continue; // most of 65536 values never occur in a crop
    sorted.fill(value, at, at + count);
    at += count;
  }
  const m = sorted.length;
  const values = new Float64Array(n);
  for (let k = 1; k <= n; k++) {
    const position = Math.min(m - 1, Math.max(0, (m * k) / n - 0.5));
    const below = Math.floor(position);
    const above = Math.min(m - 1, below + 1);
    values[k - 1] = sorted[below]! + (position - below) * (sorted[above]! - sorted[below]!);
  }
  return values;
}

/**
 * Maps every pixel of a grey image through its own quantiles onto the reference's, as QuanNorm.m:
 * a pixel takes the reference value of the highest own quantile it reaches. Returns 8-bit values
 * when the reference is 8-bit (rounded and clipped, as MATLAB's uint8()), else 16-bit.
 */
export function matchToReference(pixels: CapturePixels, reference: ReferenceQuantiles): CapturePixels {
  if (pixels.channels !== 1) {
    throw new Error(`Quantile matching works on grey pixels; these have ${pixels.channels} channels.`);
  }
  const own = quantilesOf(pixels.data, pixels.bitDepth, reference.values.length);
  const sixteen = reference.bitDepth === 16;
  const top = sixteen ? 65535 : 255;
  const output = (length: number) => (sixteen ? new Uint16Array(length) : new Uint8Array(length));
  // Raw values are whole numbers, so one table entry per raw value does every pixel.
  const table = output(pixels.bitDepth === 16 ? 65536 : 256);
  let reached = 0; // the highest own quantile at or below the raw value, or 0 when none is
  for (let value = 0; value < table.length; value++) {
    while (reached + 1 < own.length && own[reached + 1]! <= value) reached++;
    table[value] = Math.min(top, Math.max(0, Math.round(reference.values[reached]!)));
  }
  const data = output(pixels.data.length);
  for (let i = 0; i < data.length; i++) data[i] = table[pixels.data[i]!]!;
  return { width: pixels.width, height: pixels.height, channels: 1, bitDepth: reference.bitDepth, data };
}
