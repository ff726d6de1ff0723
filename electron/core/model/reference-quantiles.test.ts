import { afterAll, describe, expect, it } from 'vitest';
import type { CapturePixels } from '../capture/decode.js';
import { encode, greyImage, makeTempDir, rawImage, writeCapture } from '../capture/testing/images.js';
import {
  loadReferenceQuantiles,
  matchToReference,
  quantilesOf,
  type ReferenceQuantiles,
} from './reference-quantiles.js';

const temp = makeTempDir();
afterAll(() => temp.remove());

/** A repeatable stream of numbers in [0, 1). */
function randoms(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state / 2 ** 32;
  };
}

/** A grey image of `width × height` pixels drawn from `sample`. */
function drawn(width: number, height: number, bitDepth: 8 | 16, sample: () => number): CapturePixels {
  const image = greyImage(width, height, bitDepth, () => sample());
  return { width, height, channels: 1, bitDepth, data: image.data };
}

/** Roughly bell-shaped values around `mean`: a sum of four uniform draws. */
const bell = (next: () => number, mean: number, spread: number) => () =>
  Math.round(mean + spread * (next() + next() + next() + next() - 2));

describe('quantilesOf', () => {
  it('takes quantiles at k/n, k = 1..n, as MATLAB prctile does', () => {
    // prctile(1:10, [20 40 60 80 100]) is [2.5 4.5 6.5 8.5 10].
    const data = Uint8Array.from([7, 3, 10, 1, 9, 2, 8, 4, 6, 5]);
    expect(Array.from(quantilesOf(data, 8, 5))).toEqual([2.5, 4.5, 6.5, 8.5, 10]);
  });

  it('interpolates between few pixels and holds the extremes beyond them', () => {
    // 3 pixels sit at probabilities 1/6, 3/6 and 5/6; asked at k/6 they give:
    expect(Array.from(quantilesOf(Uint16Array.from([5000, 1000, 3000]), 16, 6))).toEqual([
      1000, 2000, 3000, 4000, 5000, 5000,
    ]);
  });

  it('refuses an empty image and a count that is not a positive whole number', () => {
    expect(() => quantilesOf(new Uint8Array(0), 8, 10)).toThrow(/without pixels/);
    expect(() => quantilesOf(Uint8Array.from([1]), 8, 0)).toThrow(/positive whole number/);
  });
});

describe('matchToReference', () => {
  it('gives each pixel the reference value of the highest own quantile it reaches, as QuanNorm.m', () => {
    // Own quantiles of [0 1 2 3] at 1/4..4/4 are [0.5 1.5 2.5 3]: 0 and 1 reach only the first
    // (0 is below it, and takes the first too), 2 the second, 3 the last.
    const pixels: CapturePixels = {
      width: 4,
      height: 1,
      channels: 1,
      bitDepth: 8,
      data: Uint8Array.from([0, 1, 2, 3]),
    };
    const reference: ReferenceQuantiles = { values: Float64Array.from([10, 20, 30, 40]), bitDepth: 8 };
    expect(Array.from(matchToReference(pixels, reference).data)).toEqual([10, 10, 20, 40]);
  });

  it('leaves an image matched to its own quantiles (nearly) as it was', () => {
    const image = drawn(224, 224, 8, bell(randoms(1), 128, 40));
    const own: ReferenceQuantiles = { values: quantilesOf(image.data, 8, 1000), bitDepth: 8 };
    const matched = matchToReference(image, own);
    let change = 0;
    for (let i = 0; i < image.data.length; i++) change += Math.abs(matched.data[i]! - image.data[i]!);
    expect(change / image.data.length).toBeLessThan(0.05);
  });

  it("gives a crop nearly the reference's histogram", () => {
    const reference: ReferenceQuantiles = {
      values: quantilesOf(drawn(224, 224, 8, bell(randoms(2), 150, 30)).data, 8, 1000),
      bitDepth: 8,
    };
    const next = randoms(3);
    const crop = drawn(224, 224, 8, () => Math.floor(10 + 200 * Math.sqrt(next()))); // skewed towards bright
    const matched = matchToReference(crop, reference);
    expect(matched).toMatchObject({ width: 224, height: 224, channels: 1, bitDepth: 8 });
    const after = quantilesOf(matched.data, 8, 1000);
    // Each of the crop's 200 levels holds at most 1% of its pixels and maps to one value, so the
    // result can differ from the reference only by the reference's spread over 1% of quantiles.
    for (let k = 9; k < 990; k += 10)
      expect(Math.abs(after[k]! - reference.values[k]!)).toBeLessThanOrEqual(2);
  });

  it('maps a 16-bit crop holding 12-bit data onto an 8-bit reference, keeping the order of values', () => {
    const reference: ReferenceQuantiles = {
      values: quantilesOf(drawn(128, 128, 8, bell(randoms(4), 100, 50)).data, 8, 1000),
      bitDepth: 8,
    };
    const crop = drawn(200, 150, 16, bell(randoms(5), 2048, 900)); // 0..4095 at most
    const matched = matchToReference(crop, reference);
    expect(matched.bitDepth).toBe(8);
    expect(matched.data).toBeInstanceOf(Uint8Array);
    const after = quantilesOf(matched.data, 8, 1000);
    for (let k = 9; k < 990; k += 10)
      expect(Math.abs(after[k]! - reference.values[k]!)).toBeLessThanOrEqual(2);
    // One output per raw value, never lower for a higher raw value.
    const byRaw = new Map<number, Set<number>>();
    crop.data.forEach((raw, i) => byRaw.set(raw, (byRaw.get(raw) ?? new Set()).add(matched.data[i]!)));
    const outputs = [...byRaw.keys()].sort((a, b) => a - b).map((raw) => [...byRaw.get(raw)!]);
    expect(outputs.every((one) => one.length === 1)).toBe(true);
    const flat = outputs.flat();
    expect(flat).toEqual([...flat].sort((a, b) => a - b));
  });

  it('maps a flat crop to one value, the reference maximum its one level reaches, without NaN', () => {
    const reference: ReferenceQuantiles = { values: Float64Array.from([3.2, 50, 90.6, 201.5]), bitDepth: 16 };
    const flat: CapturePixels = {
      width: 8,
      height: 8,
      channels: 1,
      bitDepth: 16,
      data: new Uint16Array(64).fill(700),
    };
    const matched = matchToReference(flat, reference);
    expect(matched.data).toBeInstanceOf(Uint16Array);
    expect(new Set(matched.data)).toEqual(new Set([202]));
  });

  it('refuses colour pixels', () => {
    const colour: CapturePixels = { width: 2, height: 2, channels: 3, bitDepth: 8, data: new Uint8Array(12) };
    expect(() => matchToReference(colour, { values: Float64Array.from([1, 2]), bitDepth: 8 })).toThrow(
      /grey/,
    );
  });
});

describe('loadReferenceQuantiles', () => {
  const values = (x: number, y: number) => (x * 7 + y * 13) % 256;

  it('takes the quantiles of a grey 8-bit reference at its own bit depth', async () => {
    const file = writeCapture(temp.dir, 'refIm.png', await encode(greyImage(64, 48, 8, values), 'png'));
    const loaded = await loadReferenceQuantiles(file, 1000);
    expect(loaded.bitDepth).toBe(8);
    expect(loaded.values).toEqual(quantilesOf(greyImage(64, 48, 8, values).data, 8, 1000));
  });

  it('turns a colour reference grey first', async () => {
    const colour = rawImage(64, 48, 3, 8, (x, y) => values(x, y)); // R = G = B, so grey is the same value
    const file = writeCapture(temp.dir, 'colour.png', await encode(colour, 'png'));
    const loaded = await loadReferenceQuantiles(file, 100);
    expect(loaded.bitDepth).toBe(8);
    expect(loaded.values).toEqual(quantilesOf(greyImage(64, 48, 8, values).data, 8, 100));
  });

  it('keeps a 16-bit reference 16-bit', async () => {
    const deep = greyImage(32, 32, 16, (x, y) => 1000 + 37 * x + 1500 * y);
    const file = writeCapture(temp.dir, 'deep.tif', await encode(deep, 'tiff'));
    const loaded = await loadReferenceQuantiles(file, 10);
    expect(loaded.bitDepth).toBe(16);
    expect(loaded.values).toEqual(quantilesOf(deep.data, 16, 10));
  });
});
