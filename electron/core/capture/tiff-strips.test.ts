import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodePixels, readCaptureInfo, type PixelRequest } from './decode.js';
import { CaptureError } from './errors.js';
import { readGreyStrips, type GreyStrips } from './tiff-strips.js';

const pattern = (bits: 8 | 16) => (i: number) => Math.floor((Math.sin(i * 0.01) + 1) * (bits === 16 ? 2000 : 120)) + (i % 7);

function samples(width: number, height: number, bits: 8 | 16): Uint8Array | Uint16Array {
  const data = bits === 16 ? new Uint16Array(width * height) : new Uint8Array(width * height);
  data.forEach((_, i) => (data[i] = pattern(bits)(i)));
  return data;
}

/** A TIFF as libvips writes it, uncompressed or LZW. */
async function sharpTiff(width: number, height: number, bits: 8 | 16, compression: 'none' | 'lzw'): Promise<Buffer> {
  return sharp(samples(width, height, bits), { raw: { width, height, channels: 1 } })
    .toColourspace(bits === 16 ? 'grey16' : 'b-w')
    .tiff({ compression })
    .toBuffer();
}

interface HandTiff {
  width: number;
  height: number;
  bits: 8 | 16;
  little?: boolean;
  rowsPerStrip?: number;
  /** Write the strips last first, so they are not one run in the file. */
  reversed?: boolean;
  /** Extra or replaced SHORT tags. */
  tags?: Record<number, number>;
}

/** A TIFF written byte by byte, for layouts libvips does not write. */
function handTiff({ width, height, bits, little = true, rowsPerStrip = height, reversed = false, tags = {} }: HandTiff): Uint8Array {
  const pixels = samples(width, height, bits);
  const rowBytes = width * (bits / 8);
  const strips = Math.ceil(height / rowsPerStrip);
  const entries: [number, number, number[]][] = [
    [256, 4, [width]],
    [257, 4, [height]],
    [258, 3, [bits]],
    [259, 3, [1]],
    [262, 3, [1]],
    [273, 4, []],
    [277, 3, [1]],
    [278, 4, [rowsPerStrip]],
    [279, 4, []],
  ];
  for (const [tag, value] of Object.entries(tags)) {
    const existing = entries.find((e) => e[0] === Number(tag));
    if (existing) existing[2] = [value];
    else entries.push([Number(tag), 3, [value]]);
  }
  entries.sort((a, b) => a[0] - b[0]);
  const ifdAt = 8;
  const arraysAt = ifdAt + 2 + entries.length * 12 + 4;
  const dataAt = arraysAt + strips * 8;
  const bytes = new Uint8Array(dataAt + rowBytes * height);
  const view = new DataView(bytes.buffer);
  bytes.set(little ? [0x49, 0x49] : [0x4d, 0x4d]);
  view.setUint16(2, 42, little);
  view.setUint32(4, ifdAt, little);
  const order = Array.from({ length: strips }, (_, i) => (reversed ? strips - 1 - i : i));
  const offsets: number[] = [];
  const counts: number[] = [];
  let at = dataAt;
  for (const strip of order) {
    const length = Math.min(rowsPerStrip, height - strip * rowsPerStrip) * rowBytes;
    offsets[strip] = at;
    counts[strip] = length;
    for (let k = 0; k < length / (bits / 8); k++) {
      const value = pixels[strip * rowsPerStrip * width + k]!;
      if (bits === 16) view.setUint16(at + k * 2, value, little);
      else view.setUint8(at + k, value);
    }
    at += length;
  }
  view.setUint16(ifdAt, entries.length, little);
  entries.forEach(([tag, type, values], i) => {
    const entry = ifdAt + 2 + i * 12;
    const list = tag === 273 ? offsets : tag === 279 ? counts : values;
    view.setUint16(entry, tag, little);
    view.setUint16(entry + 2, type, little);
    view.setUint32(entry + 4, list.length, little);
    const size = type === 3 ? 2 : 4;
    const target = list.length * size <= 4 ? entry + 8 : arraysAt + (tag === 273 ? 0 : strips * 4);
    if (target !== entry + 8) view.setUint32(entry + 8, target, little);
    list.forEach((v, k) => (size === 2 ? view.setUint16(target + k * 2, v, little) : view.setUint32(target + k * 4, v, little)));
  });
  return bytes;
}

describe('readGreyStrips', () => {
  it.each([8, 16] as const)('reads the %i-bit samples of an uncompressed TIFF that libvips wrote, exactly', async (bits) => {
    const strips = readGreyStrips(await sharpTiff(301, 257, bits, 'none'));
    expect(strips).toMatchObject({ width: 301, height: 257, bitDepth: bits });
    expect(Array.from((strips as GreyStrips).data)).toEqual(Array.from(samples(301, 257, bits)));
  });

  it('gathers strips that lie out of order in the file', () => {
    const strips = readGreyStrips(handTiff({ width: 50, height: 37, bits: 16, rowsPerStrip: 8, reversed: true }));
    expect(strips).toMatchObject({ width: 50, height: 37, bitDepth: 16 });
    expect(Array.from((strips as GreyStrips).data)).toEqual(Array.from(samples(50, 37, 16)));
  });

  it('says how many bytes are missing when the pixels stop short', () => {
    const whole = handTiff({ width: 64, height: 64, bits: 16, rowsPerStrip: 8 });
    expect(readGreyStrips(whole.subarray(0, whole.length - 1000))).toEqual({ missingBytes: 1000 });
  });

  it('reads 8-bit big-endian files, whose bytes need no swapping', () => {
    const strips = readGreyStrips(handTiff({ width: 20, height: 10, bits: 8, little: false, rowsPerStrip: 3 }));
    expect(Array.from((strips as GreyStrips).data)).toEqual(Array.from(samples(20, 10, 8)));
  });

  it.each([
    ['LZW-compressed', async () => sharpTiff(64, 64, 16, 'lzw')],
    ['16-bit big-endian', async () => handTiff({ width: 16, height: 16, bits: 16, little: false })],
    ['white-is-zero', async () => handTiff({ width: 16, height: 16, bits: 8, tags: { 262: 0 } })],
    ['horizontal-predictor', async () => handTiff({ width: 16, height: 16, bits: 8, tags: { 317: 2 } })],
    ['signed-integer', async () => handTiff({ width: 16, height: 16, bits: 16, tags: { 339: 2 } })],
    ['two-samples-per-pixel', async () => handTiff({ width: 16, height: 16, bits: 8, tags: { 277: 2 } })],
    ['tiled', async () => handTiff({ width: 16, height: 16, bits: 8, tags: { 322: 16 } })],
    ['truncated before its directory', async () => (await sharpTiff(64, 64, 16, 'none')).subarray(0, 4000)],
    ['PNG', async () => sharp(samples(8, 8, 8), { raw: { width: 8, height: 8, channels: 1 } }).png().toBuffer()],
  ])('leaves a %s file to sharp', async (_, make) => {
    expect(readGreyStrips(await make())).toBeNull();
  });
});

describe('decoding an uncompressed grey TIFF', () => {
  const requests: Omit<PixelRequest, 'maxPixels'>[] = [
    { colour: 'grey' },
    { colour: 'grey', size: { width: 224, height: 224, resize: 'stretch' } },
    { colour: 'rgb', size: { width: 224, height: 224, resize: 'fit' } },
    { colour: 'rgb', size: { width: 100, height: 60, resize: 'center-crop' } },
  ];

  it.each([
    [8, 1392, 1040],
    [16, 2048, 2048],
  ] as const)('gives the same %i-bit pixels as the same image LZW-compressed, which sharp reads itself', async (bits, width, height) => {
    const plain = await sharpTiff(width, height, bits, 'none');
    const lzw = await sharpTiff(width, height, bits, 'lzw');
    expect(readGreyStrips(plain)).toHaveProperty('data');
    for (const request of requests) {
      const fast = await decodePixels(plain, await readCaptureInfo(plain), request);
      const reference = await decodePixels(lzw, await readCaptureInfo(lzw), request);
      expect(fast).toMatchObject({ width: reference.width, height: reference.height, channels: reference.channels, bitDepth: bits });
      expect(Buffer.from(fast.data.buffer, fast.data.byteOffset, fast.data.byteLength).equals(
        Buffer.from(reference.data.buffer, reference.data.byteOffset, reference.data.byteLength),
      )).toBe(true);
    }
  });

  it('still refuses more pixels than the limit', async () => {
    const plain = await sharpTiff(64, 64, 16, 'none');
    const info = await readCaptureInfo(plain);
    await expect(decodePixels(plain, info, { colour: 'grey', maxPixels: 100 })).rejects.toThrow();
  });

  // libtiff alone would return the missing rows as black.
  it('calls a file cut inside its pixels corrupt, not a half-black image', async () => {
    // The directory comes first in this file, so its header still reads when the pixels are cut short.
    const whole = handTiff({ width: 256, height: 256, bits: 16, rowsPerStrip: 16 });
    const cut = whole.subarray(0, whole.length - 1000);
    const info = await readCaptureInfo(cut);
    const error = await decodePixels(cut, info, { colour: 'grey' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CaptureError);
    expect((error as CaptureError).code).toBe('corrupt');
    expect((error as CaptureError).message).toMatch(/TIFF image but its data is damaged or incomplete.*pixels stop 1,000 bytes short/);
  });
});
