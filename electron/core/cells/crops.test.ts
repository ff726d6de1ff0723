import { describe, expect, it } from 'vitest';
import type { CapturePixels } from '../capture/decode.js';
import { cutCrop, planCrop } from './crops.js';

/** A grey field whose pixel (x, y) is `value(x, y)`. */
function field(
  width: number,
  height: number,
  bitDepth: 8 | 16,
  value: (x: number, y: number) => number,
): CapturePixels {
  const data = bitDepth === 16 ? new Uint16Array(width * height) : new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = value(x, y);
  return { width, height, channels: 1, bitDepth, data };
}

const at = (pixels: CapturePixels, x: number, y: number) => pixels.data[y * pixels.width + x]!;

// Every pixel different, so a copy that is off by one pixel shows.
const distinct = (x: number, y: number) => x + 300 * y;

describe('planCrop', () => {
  it('puts the centre pixel at index width/2 - 1 of an even crop at native size, as CellCropping.m', () => {
    const plan = planCrop({ x: 500, y: 400 }, { width: 224, height: 224 }, { width: 1616, height: 1216 });
    expect(plan).toEqual({
      centre: { x: 500, y: 400 },
      window: { x: 389, y: 289, width: 224, height: 224 },
      edge: false,
      scale: 1,
    });
  });

  it('centres an odd crop exactly and snaps a fractional centre to whole pixels at native size', () => {
    expect(planCrop({ x: 50, y: 60 }, { width: 5, height: 3 }, { width: 100, height: 100 }).window).toEqual({
      x: 48,
      y: 59,
      width: 5,
      height: 3,
    });
    expect(
      planCrop({ x: 50.3, y: 59.8 }, { width: 5, height: 3 }, { width: 100, height: 100 }).window,
    ).toMatchObject({
      x: 48,
      y: 59,
    });
  });

  it('scales the window by the pixel-size ratio and keeps it centred, without snapping', () => {
    const plan = planCrop(
      { x: 500, y: 400 },
      { width: 224, height: 224 },
      { width: 1022, height: 1024 },
      0.5,
    );
    expect(plan.window).toEqual({ x: 444.5, y: 344.5, width: 112, height: 112 });
    expect(plan.window.x + plan.window.width / 2).toBe(500.5); // the middle of pixel 500
  });

  it('says when the window crosses any edge of the field', () => {
    const crop = { width: 224, height: 224 };
    const fieldSize = { width: 1022, height: 1024 };
    expect(planCrop({ x: 111, y: 111 }, crop, fieldSize).edge).toBe(false); // window starts at 0
    expect(planCrop({ x: 110, y: 500 }, crop, fieldSize).edge).toBe(true);
    expect(planCrop({ x: 500, y: 10 }, crop, fieldSize).edge).toBe(true);
    expect(planCrop({ x: 909, y: 500 }, crop, fieldSize).edge).toBe(false); // window ends at 1021
    expect(planCrop({ x: 910, y: 500 }, crop, fieldSize).edge).toBe(true);
    expect(planCrop({ x: 500, y: 1000 }, crop, fieldSize).edge).toBe(true);
  });

  it('refuses a scale that is not a positive number', () => {
    expect(() => planCrop({ x: 1, y: 1 }, { width: 4, height: 4 }, { width: 9, height: 9 }, 0)).toThrow(
      /positive/,
    );
    expect(() =>
      planCrop({ x: 1, y: 1 }, { width: 4, height: 4 }, { width: 9, height: 9 }, Number.NaN),
    ).toThrow(/positive/);
  });
});

describe('cutCrop', () => {
  it('copies the window pixel for pixel at native size, keeping the 16-bit values', () => {
    const source = field(300, 200, 16, distinct);
    const crop = { width: 64, height: 48 };
    const plan = planCrop({ x: 150, y: 90 }, crop, source);
    const cut = cutCrop(source, plan, crop);
    expect(cut).toMatchObject({ width: 64, height: 48, channels: 1, bitDepth: 16 });
    expect(cut.data).toBeInstanceOf(Uint16Array);
    for (let y = 0; y < 48; y++) {
      for (let x = 0; x < 64; x++)
        expect(at(cut, x, y)).toBe(at(source, plan.window.x + x, plan.window.y + y));
    }
    expect(at(cut, 31, 23)).toBe(at(source, 150, 90)); // the centre pixel
  });

  it('mirrors past the edge without repeating the edge pixel: -1 → 1, width → width - 2', () => {
    const source = field(40, 30, 8, (x, y) => x + 5 * y);
    const crop = { width: 10, height: 10 };
    const topLeft = planCrop({ x: 1, y: 2 }, crop, source); // window from (-3, -2)
    expect(topLeft.edge).toBe(true);
    const cut = cutCrop(source, topLeft, crop);
    expect(cut.data).toBeInstanceOf(Uint8Array);
    const mirrored = (p: number, size: number) => (p < 0 ? -p : p >= size ? 2 * (size - 1) - p : p);
    for (let y = 0; y < 10; y++) {
      for (let x = 0; x < 10; x++)
        expect(at(cut, x, y)).toBe(at(source, mirrored(x - 3, 40), mirrored(y - 2, 30)));
    }
    const bottomRight = cutCrop(source, planCrop({ x: 38, y: 28 }, crop, source), crop); // window (34, 24)..(43, 33)
    expect(at(bottomRight, 5, 5)).toBe(at(source, 39, 29)); // the field's last pixel
    expect(at(bottomRight, 6, 6)).toBe(at(source, 38, 28)); // (40, 30) → (38, 28)
    expect(at(bottomRight, 9, 9)).toBe(at(source, 35, 25)); // (43, 33) → (78 - 43, 58 - 33)
  });

  it('mirrors back and forth when the crop is wider than the whole field', () => {
    const source = field(3, 1, 8, (x) => [10, 20, 30][x]!);
    const crop = { width: 9, height: 1 };
    const cut = cutCrop(source, planCrop({ x: 1, y: 0 }, crop, source), crop); // x from -3 to 5
    expect(Array.from(cut.data)).toEqual([20, 30, 20, 10, 20, 30, 20, 10, 20]);
  });

  it('samples bilinearly when the capture is coarser than the training data (scale < 1)', () => {
    // A ramp is reproduced exactly by bilinear interpolation.
    const ramp = (x: number, y: number) => 10 * x + 100 * y;
    const source = field(100, 100, 16, ramp);
    const crop = { width: 20, height: 20 };
    const plan = planCrop({ x: 50, y: 40 }, crop, source, 0.5);
    const cut = cutCrop(source, plan, crop);
    for (const [x, y] of [
      [0, 0],
      [7, 3],
      [19, 19],
    ] as const) {
      const sx = plan.window.x + (x + 0.5) * 0.5 - 0.5;
      const sy = plan.window.y + (y + 0.5) * 0.5 - 0.5;
      expect(at(cut, x, y)).toBe(Math.round(ramp(sx, sy)));
    }
  });

  it('averages fine texture when shrinking (scale > 1) instead of aliasing it', () => {
    // A one-pixel checkerboard at 3 capture pixels per crop pixel: point sampling would hit only
    // the black or only the white squares; a filter as wide as the scale gives about the mean.
    const source = field(200, 200, 8, (x, y) => ((x + y) % 2) * 200);
    const crop = { width: 16, height: 16 };
    const cut = cutCrop(source, planCrop({ x: 100, y: 100 }, crop, source, 3), crop);
    for (const value of cut.data) expect(Math.abs(value - 100)).toBeLessThanOrEqual(2);
    // A ramp still comes out as the ramp's value at each crop pixel's middle.
    const ramp = field(200, 200, 16, (x, y) => 40 * x + 7 * y);
    const plan = planCrop({ x: 100, y: 100 }, crop, ramp, 3);
    const shrunk = cutCrop(ramp, plan, crop);
    const sx = plan.window.x + 5.5 * 3 - 0.5;
    const sy = plan.window.y + 9.5 * 3 - 0.5;
    expect(at(shrunk, 5, 9)).toBe(Math.round(40 * sx + 7 * sy));
  });

  it('refuses a colour field', () => {
    const colour: CapturePixels = { width: 4, height: 4, channels: 3, bitDepth: 8, data: new Uint8Array(48) };
    const crop = { width: 2, height: 2 };
    expect(() => cutCrop(colour, planCrop({ x: 2, y: 2 }, crop, colour), crop)).toThrow(/grey/);
  });
});
