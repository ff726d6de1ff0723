import type { CapturePixels } from '../capture/decode.js';
import { histogram } from '../capture/intensity.js';
import type { ModelManifest } from './manifest.js';

export type InputScope = NonNullable<NonNullable<ModelManifest['scope']>['input']>;

/** What an input check knows of the image: its pixels before any intensity step, and the capture's own make-up. */
export interface CheckedImage {
  pixels: CapturePixels;
  /** Samples per pixel of the capture as stored. */
  channels: number;
  bitDepth: 8 | 16;
  /** The whole capture goes to the model (one cell), not a window cut from a field: its size is checked. */
  whole: boolean;
  width: number;
  height: number;
}

/** Percentile (0..100) by nearest rank: the ceil(q/100 · n)-th smallest value, from a histogram. */
function nearestRank(counts: Uint32Array, n: number, q: number): number {
  const rank = Math.max(1, Math.ceil((q / 100) * n));
  let seen = 0;
  for (let value = 0; value < counts.length; value++) {
    seen += counts[value]!;
    if (seen >= rank) return value;
  }
  return counts.length - 1;
}

/**
 * `tailRatio` = (p99 − p50) / (p50 − p1) of the raw grey values, as the training script defines it
 * (models/train/scope.py). Transmitted light (brightfield, phase contrast) has tails of similar
 * length, the dark one longer where cells are darker than the background; fluorescence a dark background
 * and a long bright tail; an inverted export mirrors the ratio. +∞ or NaN where p50 = p1.
 */
export function tailRatio(pixels: CapturePixels): number {
  const counts = histogram(pixels.data, pixels.bitDepth);
  const n = pixels.data.length;
  const [p1, p50, p99] = [1, 50, 99].map((q) => nearestRank(counts, n, q)) as [number, number, number];
  if (p50 > p1) return (p99 - p50) / (p50 - p1);
  return p99 > p50 ? Number.POSITIVE_INFINITY : Number.NaN;
}

const statistics: Record<string, (pixels: CapturePixels) => number> = { tailRatio };

export const knownStatistics = Object.keys(statistics);

const list = (values: readonly number[]) => values.join(' or ');

/** Each check the image fails, as a sentence a biologist can act on; none when it passes them all. */
export function inputProblems(scope: InputScope, image: CheckedImage): string[] {
  const problems: string[] = [];
  const trainedOn = scope.trainedOn;
  if (scope.bitDepths && !scope.bitDepths.includes(image.bitDepth)) {
    problems.push(
      `This is a ${image.bitDepth}-bit image; the model was trained on ${list(scope.bitDepths)}-bit ${trainedOn} images.`,
    );
  }
  if (scope.channels && !scope.channels.includes(image.channels)) {
    problems.push(
      `This image has ${image.channels} channel${image.channels === 1 ? ' (grey)' : 's (colour)'}; the model was trained on images with ${list(scope.channels)} channel${scope.channels.length === 1 && scope.channels[0] === 1 ? '' : 's'}.`,
    );
  }
  const shortSide = Math.min(image.width, image.height);
  const longSide = Math.max(image.width, image.height);
  if (
    image.whole &&
    ((scope.minSide && shortSide < scope.minSide) || (scope.maxSide && longSide > scope.maxSide))
  ) {
    problems.push(
      `This image is ${image.width} × ${image.height} pixels; the model was trained on single cells of ${scope.minSide ?? 1} to ${scope.maxSide ?? '∞'} pixels a side. If it is a whole field, let MetaScope find its cells.`,
    );
  }
  for (const [name, range] of Object.entries(scope.statistics)) {
    const measure = statistics[name];
    if (!measure) continue;
    const value = measure(image.pixels);
    if (value >= range.min && value <= range.max) continue;
    problems.push(
      name === 'tailRatio' && value > range.max
        ? `The cells look brighter than the background, as in fluorescence, dark field or an image with its contrast inverted; the model was trained on ${trainedOn} (its bright detail outweighs its dark detail: ${name} ${Number.isFinite(value) ? value.toFixed(2) : 'unbounded, no dark detail at all'}, trained ${range.min}–${range.max}).`
        : `Its brightness is spread unlike the ${trainedOn} images the model was trained on (${name} ${Number.isFinite(value) ? value.toFixed(2) : 'undefined: a flat image'}, trained ${range.min}–${range.max}).`,
    );
  }
  return problems;
}
