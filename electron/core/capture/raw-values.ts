import { CaptureError } from './errors.js';
import { decodePixels, readCaptureInfo, type CapturePixels } from './decode.js';
import { readPixelSize, type PixelSize } from './pixel-size.js';

/** One page of a capture at full size and native bit depth, as the microscope stored it. */
export interface RawRaster {
  pixels: CapturePixels;
  pages: number;
  /** Stated in the file, else null: a scale bar is drawn only where the capture says its size. */
  pixelSize: PixelSize | null;
}

/** The distribution of a page's raw values, binned over the range they actually span. */
export interface IntensityHistogram {
  /** Pixel counts; bin i holds the values min + i·binWidth … min + (i+1)·binWidth − 1. */
  counts: number[];
  min: number;
  max: number;
  binWidth: number;
  bitDepth: 8 | 16;
}

export async function decodeRawRaster(bytes: Uint8Array, page = 0): Promise<RawRaster> {
  const info = await readCaptureInfo(bytes);
  const pixels = await decodePixels(bytes, info, { page, colour: info.colour });
  return { pixels, pages: info.pages, pixelSize: await readPixelSize(bytes) };
}

/**
 * At most `bins` bins, each a whole number of raw values wide, from the lowest value to the highest.
 * Over the full 0–65535 a 12-bit capture would fill a sixteenth of the bins; over its own span the
 * shape is what a person sets the contrast by. RGB counts every sample of every channel.
 */
export function intensityHistogram(pixels: CapturePixels, bins: number): IntensityHistogram {
  const { data, bitDepth } = pixels;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const value = data[i]!;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  if (data.length === 0) min = max = 0;
  const binWidth = Math.max(1, Math.ceil((max - min + 1) / bins));
  const counts = new Array<number>(Math.floor((max - min) / binWidth) + 1).fill(0);
  for (let i = 0; i < data.length; i++) counts[Math.floor((data[i]! - min) / binWidth)]!++;
  return { counts, min, max, binWidth, bitDepth };
}

/** The raw samples of the pixel at (x, y): one for grey, three for RGB. */
export function valuesAt(pixels: CapturePixels, x: number, y: number): number[] {
  if (
    !Number.isInteger(x) ||
    !Number.isInteger(y) ||
    x < 0 ||
    y < 0 ||
    x >= pixels.width ||
    y >= pixels.height
  ) {
    throw new CaptureError(
      'no-such-pixel',
      `There is no pixel at (${x}, ${y}): the picture is ${pixels.width} × ${pixels.height} pixels.`,
    );
  }
  const at = (y * pixels.width + x) * pixels.channels;
  return Array.from(pixels.data.subarray(at, at + pixels.channels));
}
