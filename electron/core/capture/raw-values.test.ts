import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeRawRaster, intensityHistogram, valuesAt } from './raw-values.js';
import { encode, greyImage, multiPageTiff, rawImage } from './testing/images.js';

describe('decodeRawRaster and intensityHistogram', () => {
  it('keeps 16-bit values 16-bit and bins them over the span they use', async () => {
    // Left half 1000, right half 3000, one hot pixel of 40000 at (5, 2).
    const image = greyImage(10, 4, 16, (x, y) => (x === 5 && y === 2 ? 40_000 : x < 5 ? 1000 : 3000));
    const raster = await decodeRawRaster(await encode(image, 'tiff'));
    expect(raster.pixels.bitDepth).toBe(16);
    expect(valuesAt(raster.pixels, 5, 2)).toEqual([40_000]);
    expect(valuesAt(raster.pixels, 0, 3)).toEqual([1000]);

    const histogram = intensityHistogram(raster.pixels, 256);
    expect(histogram).toMatchObject({ min: 1000, max: 40_000, bitDepth: 16 });
    // 39001 values over at most 256 bins: 153 values a bin, so 255 bins.
    expect(histogram.binWidth).toBe(153);
    expect(histogram.counts).toHaveLength(255);
    expect(histogram.counts[0]).toBe(20);
    expect(histogram.counts[Math.floor(2000 / 153)]).toBe(19);
    expect(histogram.counts.at(-1)).toBe(1);
    expect(histogram.counts.reduce((a, b) => a + b)).toBe(40);
  });

  it('gives 8-bit values one bin each when they span fewer values than bins', async () => {
    const image = greyImage(8, 8, 8, (x) => 100 + x);
    const raster = await decodeRawRaster(await encode(image, 'png'));
    const histogram = intensityHistogram(raster.pixels, 256);
    expect(histogram).toEqual({ counts: new Array(8).fill(8), min: 100, max: 107, binWidth: 1, bitDepth: 8 });
  });

  it('reads the page asked for and the pixel size the file states', async () => {
    const stack = await multiPageTiff([greyImage(6, 6, 16, () => 500), greyImage(6, 6, 16, () => 7000)]);
    expect(intensityHistogram((await decodeRawRaster(stack, 1)).pixels, 16)).toMatchObject({
      min: 7000,
      max: 7000,
    });
    expect((await decodeRawRaster(stack)).pixelSize).toBeNull();
    const calibrated = await sharp(Buffer.alloc(64, 9), { raw: { width: 8, height: 8, channels: 1 } })
      .tiff({ compression: 'lzw', xres: 1000 / 0.65, yres: 1000 / 0.65, resolutionUnit: 'cm' })
      .toBuffer();
    expect((await decodeRawRaster(calibrated)).pixelSize?.umPerPixel).toBeCloseTo(0.65, 6);
  });

  it('gives the three samples of an RGB pixel, and a sentence for a pixel outside the picture', async () => {
    const image = rawImage(4, 3, 3, 8, (x, y, c) => 10 * c + x + y);
    const raster = await decodeRawRaster(await encode(image, 'png'));
    expect(valuesAt(raster.pixels, 3, 2)).toEqual([5, 15, 25]);
    expect(() => valuesAt(raster.pixels, 4, 0)).toThrow(
      'There is no pixel at (4, 0): the picture is 4 × 3 pixels.',
    );
  });
});
