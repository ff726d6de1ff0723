import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { readCaptureInfo } from './decode.js';
import { renderDisplay, type DisplayRequest } from './display.js';
import { sniffFormat } from './formats.js';
import { encode, greyImage, rawImage } from './testing/images.js';

/**
 * Renders a capture and reads the rendition back as raw 8-bit samples; for a grey capture, one
 * sample per pixel (the encoder may store grey as R = G = B, which is checked).
 */
async function render(bytes: Uint8Array, request: Partial<DisplayRequest> = {}) {
  const info = await readCaptureInfo(bytes);
  const display = await renderDisplay(bytes, info, {
    maxSize: 1024,
    window: 'auto',
    format: 'png',
    ...request,
  });
  const { data, info: shown } = await sharp(display.image).raw().toBuffer({ resolveWithObject: true });
  let samples = Array.from(data);
  if (info.colour === 'grey' && shown.channels === 3) {
    const red = samples.filter((_, i) => i % 3 === 0);
    expect(samples).toEqual(red.flatMap((v) => [v, v, v]));
    samples = red;
  }
  return { display, samples, shown };
}

/** 64 × 64 = 4096 pixels holding each 12-bit value 0..4095 once, in a 16-bit file. */
const twelveBitRamp = greyImage(64, 64, 16, (x, y) => y * 64 + x);

describe('display rendition', () => {
  it('stretches 12-bit data in a 16-bit file over its 0.5–99.5 percentile window, so it is not black', async () => {
    const { display, samples, shown } = await render(await encode(twelveBitRamp, 'tiff'));
    // Percentile ranks over 4096 values: floor(0.005 · 4095) = 20, floor(0.995 · 4095) = 4074.
    expect(display.window).toEqual({ low: 20, high: 4074 });
    expect(display).toMatchObject({ bitDepth: 16, width: 64, height: 64, mime: 'image/png' });
    expect(shown).toMatchObject({ width: 64, height: 64 });
    // At or below the low end: black; at or above the high end: white; the middle value is mid-grey.
    expect(samples[0]).toBe(0);
    expect(samples[20]).toBe(0);
    expect(samples[4074]).toBe(255);
    expect(samples[4095]).toBe(255);
    expect(samples[2047]).toBe(128); // (2047 − 20) / 4054 = 0.5 → 127.5, rounded up
    // Shown as plain 8-bit (value / 257) the whole image would be darker than level 16.
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
    expect(mean).toBeGreaterThan(120);
    expect(mean).toBeLessThan(135);
  });

  it('honours a manual window', async () => {
    const { display, samples } = await render(await encode(twelveBitRamp, 'png'), {
      window: { low: 1000, high: 3000 },
    });
    expect(display.window).toEqual({ low: 1000, high: 3000 });
    expect(samples[999]).toBe(0);
    expect(samples[1000]).toBe(0);
    expect(samples[1500]).toBe(64); // 500 / 2000 · 255 = 63.75
    expect(samples[2000]).toBe(128); // 127.5
    expect(samples[3000]).toBe(255);
    expect(samples[4000]).toBe(255);
  });

  it('keeps an 8-bit capture that already spans 0..255 as it is', async () => {
    const image = greyImage(16, 16, 8, (x, y) => y * 16 + x);
    const { display, samples } = await render(await encode(image, 'png'), { window: { low: 0, high: 255 } });
    expect(display.bitDepth).toBe(8);
    expect(samples).toEqual(Array.from(image.data));
  });

  it('fits the longest side into maxSize, keeping the aspect ratio', async () => {
    const image = greyImage(64, 32, 8, () => 100);
    const { display, shown } = await render(await encode(image, 'png'), { maxSize: 16 });
    expect(display).toMatchObject({ width: 16, height: 8 });
    expect(shown).toMatchObject({ width: 16, height: 8 });
  });

  it('renders RGB captures in colour, as WebP when asked', async () => {
    const image = rawImage(8, 8, 3, 8, (_x, _y, c) => [250, 10, 10][c]!);
    const { display, shown } = await render(await encode(image, 'png'), {
      format: 'webp',
      window: { low: 0, high: 255 },
    });
    expect(display.mime).toBe('image/webp');
    expect(sniffFormat(display.image)?.name).toBe('WebP');
    expect(shown.channels).toBe(3);
  });

  it('shows a flat image without dividing by zero', async () => {
    const { display, samples } = await render(
      await encode(
        greyImage(8, 8, 16, () => 700),
        'tiff',
      ),
    );
    expect(display.window).toEqual({ low: 700, high: 701 });
    expect(new Set(samples)).toEqual(new Set([0]));
  });
});
