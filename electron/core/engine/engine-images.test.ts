import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode, greyImage } from '../capture/testing/images.js';
import { engineWorld, flatCapture, sha256Of, type Driven, type EngineWorld } from './testing/engine-world.js';

/** Renditions for people to look at: what the image protocol and the browser server serve. */

let world: EngineWorld;
let app: Driven;
let sha256: string;
let file: string;
const width = 40;
const height = 30;
// 12-bit data in a 16-bit file, as many cameras write it: 1000 … 4000 over the frame, never near 65 535.
const value = (x: number, y: number) => 1000 + Math.round((3000 * (y * width + x)) / (width * height - 1));

beforeAll(async () => {
  world = await engineWorld();
  app = await world.open();
  const bytes = await encode(greyImage(width, height, 16, value), 'tiff');
  file = path.join(world.inbox, 'stack-16bit.tif');
  writeFileSync(file, bytes);
  sha256 = sha256Of(bytes);
  const row = await app.event('capture.updated', (r) => r.sha256 === sha256 && r.state === 'done');
  expect(row).toMatchObject({ bitDepth: 16, width, height });
});
afterAll(async () => {
  await world.cleanup();
});

const thumbnails = () => path.join(path.dirname(world.database), 'thumbnails');
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe('renderImage', () => {
  it('draws a 16-bit capture over an automatic percentile window and caches it with that window', async () => {
    const first = await app.engine.renderImage(sha256, { size: 256, format: 'png' });
    expect(first.mime).toBe('image/png');
    expect(first.body.subarray(0, 8)).toEqual(PNG);
    // The 0.5–99.5 percentile window of 1000…4000: just inside the range of the data.
    expect(first.window.low).toBeGreaterThanOrEqual(1000);
    expect(first.window.low).toBeLessThan(1100);
    expect(first.window.high).toBeGreaterThan(3900);
    expect(first.window.high).toBeLessThanOrEqual(4000);
    // Never enlarged; grey stays one channel; the window spreads the data over the whole 8-bit range.
    const meta = await sharp(first.body).metadata();
    expect([meta.width, meta.height, meta.channels]).toEqual([width, height, 1]);
    const data = await sharp(first.body).extractChannel(0).raw().toBuffer();
    expect(Math.min(...data)).toBe(0);
    expect(Math.max(...data)).toBe(255);

    const cached = path.join(thumbnails(), `${sha256}-256-0.png`);
    expect(readFileSync(cached)).toEqual(first.body);
    expect(JSON.parse(readFileSync(`${cached}.json`, 'utf8'))).toEqual(first.window);
    const second = await app.engine.renderImage(sha256, { size: 256, format: 'png' });
    expect(second.window).toEqual(first.window);
    expect(second.body).toEqual(first.body);
  });

  it('scales down to the size asked for, as WebP, with the window the viewer chose', async () => {
    const small = await app.engine.renderImage(sha256, { size: 20, format: 'webp', low: 1000, high: 2000 });
    expect(small.mime).toBe('image/webp');
    expect(small.window).toEqual({ low: 1000, high: 2000 });
    const { data, info } = await sharp(small.body)
      .extractChannel(0)
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([20, 15]);
    // The brighter half of the frame is above the window's top: white.
    expect(data[data.length - 1]).toBeGreaterThan(250);
    // A chosen window is not cached: only the automatic one is a starting point.
    expect(existsSync(path.join(thumbnails(), `${sha256}-20-0.webp`))).toBe(false);
  });

  it('serves the cached rendition after the file is gone, and says so in words when it must read the file', async () => {
    const cachedWindow = (await app.engine.renderImage(sha256, { size: 64, format: 'png' })).window;
    // Large renditions are not cached.
    await app.engine.renderImage(sha256, { size: 1024, format: 'png' });
    expect(existsSync(path.join(thumbnails(), `${sha256}-1024-0.png`))).toBe(false);

    rmSync(file);
    expect((await app.engine.renderImage(sha256, { size: 64, format: 'png' })).window).toEqual(cachedWindow);
    await expect(app.engine.renderImage(sha256, { size: 1024, format: 'png' })).rejects.toMatchObject({
      code: 'file-missing',
      message: expect.stringMatching(/^The capture file is no longer where it was found/),
    });
  });

  it('refuses a capture it does not know', async () => {
    await expect(app.engine.renderImage('c'.repeat(64), { size: 64, format: 'png' })).rejects.toMatchObject({
      code: 'not-found',
    });
    expect(existsSync(path.join(thumbnails(), `${'c'.repeat(64)}-64-0.png`))).toBe(false);
  });
});

describe('a capture whose file the microscope overwrote with a new one', () => {
  it('is drawn from a path that still holds it, never with the new pixels; with none left the viewer gets a sentence and nothing is cached', async () => {
    const dark = await world.drop('well-A1.png', 20);
    await app.event('capture.updated', (r) => r.sha256 === dark && r.state === 'done');
    const original = path.join(world.inbox, 'well-A1.png');
    const copy = path.join(world.inbox, 'well-A1 copy.png');
    copyFileSync(original, copy);
    await app.event('capture.updated', (r) => r.sha256 === dark && r.paths.length === 2);
    // The watch stops, as on a network share that sends no events: the store still lists the old path.
    const [inbox] = await app.call('folders.list', {});
    await app.call('folders.update', { id: inbox!.id, enabled: false });
    writeFileSync(original, await flatCapture(230));
    expect((await app.call('captures.get', { sha256: dark })).capture.paths).toEqual([original, copy]);

    const drawn = await app.engine.renderImage(dark, { size: 16, format: 'png', low: 0, high: 255 });
    const pixels = await sharp(drawn.body).extractChannel(0).raw().toBuffer();
    expect(Math.max(...pixels)).toBeLessThan(30);

    rmSync(copy);
    await expect(app.engine.renderImage(dark, { size: 32, format: 'png' })).rejects.toMatchObject({
      code: 'file-missing',
      message: expect.stringMatching(/^The file this capture was found in now holds a different picture \(it was overwritten/),
    });
    expect(existsSync(path.join(thumbnails(), `${dark}-32-0.png`))).toBe(false);
  });
});
