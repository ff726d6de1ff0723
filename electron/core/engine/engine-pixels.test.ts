import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode, greyImage } from '../capture/testing/images.js';
import { RawRasters } from './raw-rasters.js';
import { engineWorld, sha256Of, type Driven, type EngineWorld } from './testing/engine-world.js';

/** The raw values behind the viewer's histogram, cursor readout and scale bar, through the contract. */

let world: EngineWorld;
let app: Driven;
let sixteen: string;
let calibrated: string;
let file: string;
const width = 40;
const height = 30;
// 12-bit data in a 16-bit file: 1000 on the left half, 3000 on the right, 4095 at (7, 3).
const value = (x: number, y: number) => (x === 7 && y === 3 ? 4095 : x < width / 2 ? 1000 : 3000);

beforeAll(async () => {
  world = await engineWorld();
  app = await world.open();
  const bytes = await encode(greyImage(width, height, 16, value), 'tiff');
  const stated = await sharp(Buffer.alloc(64 * 48, 120), { raw: { width: 64, height: 48, channels: 1 } })
    .toColourspace('b-w')
    .tiff({ compression: 'lzw', xres: 1000 / 0.65, yres: 1000 / 0.65, resolutionUnit: 'cm' })
    .toBuffer();
  file = path.join(world.inbox, 'field-16bit.tif');
  writeFileSync(file, bytes);
  writeFileSync(path.join(world.inbox, 'calibrated.tif'), stated);
  sixteen = sha256Of(bytes);
  calibrated = sha256Of(stated);
  await app.event('capture.updated', (r) => r.sha256 === sixteen && r.state === 'done');
  await app.event('capture.updated', (r) => r.sha256 === calibrated && r.state === 'done');
});
afterAll(async () => {
  await world.cleanup();
});

describe('captures.histogram, captures.pixel, captures.pixelSize', () => {
  it('bins the 16-bit raw values over their span and reads the value at a place', async () => {
    const histogram = await app.call('captures.histogram', { sha256: sixteen, bins: 64 });
    expect(histogram).toMatchObject({ min: 1000, max: 4095, bitDepth: 16, binWidth: 49 });
    // The left half less the one bright pixel in it.
    expect(histogram.counts[0]).toBe(599);
    expect(histogram.counts.at(-1)).toBe(1);
    expect(histogram.counts.reduce((a, b) => a + b)).toBe(width * height);
    await expect(app.call('captures.pixel', { sha256: sixteen, x: 7, y: 3 })).resolves.toEqual({
      x: 7,
      y: 3,
      values: [4095],
    });
    await expect(app.call('captures.pixel', { sha256: sixteen, x: 39, y: 29 })).resolves.toMatchObject({
      values: [3000],
    });
  });

  it('says in words when the place is outside the picture', async () => {
    await expect(app.call('captures.pixel', { sha256: sixteen, x: 40, y: 0 })).rejects.toThrow(
      'There is no pixel at (40, 0): the picture is 40 × 30 pixels.',
    );
  });

  it('gives the pixel size where the file states it, null where it does not', async () => {
    expect((await app.call('captures.pixelSize', { sha256: calibrated }))?.umPerPixel).toBeCloseTo(0.65, 6);
    await expect(app.call('captures.pixelSize', { sha256: sixteen })).resolves.toBeNull();
  });

  it('answers from memory once decoded, even after the file is gone, and keeps to its byte budget', async () => {
    const paths = new Map([
      [sixteen, [file]],
      [calibrated, [path.join(world.inbox, 'calibrated.tif')]],
    ]);
    const rasters = new RawRasters(
      (sha256) => ({ sha256, paths: paths.get(sha256) ?? [] }),
      width * height * 2 + 10,
    );
    const first = await rasters.get(sixteen, 0);
    rmSync(file);
    await expect(rasters.get(sixteen, 0)).resolves.toBe(first);
    await rasters.get(calibrated, 0);
    // The 16-bit page was least recently used: dropped to make room, and the file is gone.
    expect(rasters.held).toBe(64 * 48);
    await expect(rasters.get(sixteen, 0)).rejects.toThrow(/no longer where it was found/);
  });
});
