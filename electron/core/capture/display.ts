import sharp from 'sharp';
import { decodePixels, type CaptureInfo, type CapturePixels, type DecodeLimits } from './decode.js';
import { percentileWindow, type IntensityWindow } from './intensity.js';

export interface DisplayRequest extends DecodeLimits {
  page?: number;
  /** Longest side of the rendition in pixels. */
  maxSize: number;
  /** 'auto' = the 0.5–99.5 percentile window, so 12-bit data in a 16-bit file is visible, not black. */
  window: 'auto' | IntensityWindow;
  format: 'png' | 'webp';
}

export interface DisplayImage {
  image: Buffer;
  mime: 'image/png' | 'image/webp';
  width: number;
  height: number;
  /** The window used, in raw sample values, so a viewer can show and adjust it. */
  window: IntensityWindow;
  bitDepth: 8 | 16;
}

export const autoWindowPercentiles = { low: 0.5, high: 99.5 } as const;

/** An 8-bit rendition of a capture for people to look at, contrast-stretched over a window. */
export async function renderDisplay(
  bytes: Uint8Array,
  info: CaptureInfo,
  request: DisplayRequest,
): Promise<DisplayImage> {
  const scale = Math.min(1, request.maxSize / Math.max(info.width, info.height));
  const width = Math.max(1, Math.round(info.width * scale));
  const height = Math.max(1, Math.round(info.height * scale));
  const pixels = await decodePixels(bytes, info, {
    page: request.page,
    maxPixels: request.maxPixels,
    size: { width, height, resize: 'stretch' },
    colour: info.colour,
  });
  return renderPixels(pixels, request);
}

/** An 8-bit rendition of pixels already at the size to show (a capture, or a cell's window). */
export async function renderPixels(pixels: CapturePixels, request: Pick<DisplayRequest, 'window' | 'format'>): Promise<DisplayImage> {
  const window =
    request.window === 'auto'
      ? percentileWindow(pixels.data, pixels.bitDepth, autoWindowPercentiles.low, autoWindowPercentiles.high)
      : request.window;
  const out = new Uint8Array(pixels.data.length);
  const span = Math.max(1, window.high - window.low);
  for (let i = 0; i < out.length; i++) {
    const v = ((pixels.data[i] as number) - window.low) / span;
    out[i] = v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255);
  }
  // Grey stays one channel in the file: a third of the size and work of an RGB rendition.
  const raw = sharp(out, { raw: { width: pixels.width, height: pixels.height, channels: pixels.channels } });
  const encoder = pixels.channels === 1 ? raw.toColourspace('b-w') : raw;
  const image =
    request.format === 'png'
      ? await encoder.png({ compressionLevel: 6 }).toBuffer()
      : await encoder.webp({ quality: 85 }).toBuffer();
  return {
    image,
    mime: request.format === 'png' ? 'image/png' : 'image/webp',
    width: pixels.width,
    height: pixels.height,
    window,
    bitDepth: pixels.bitDepth,
  };
}
