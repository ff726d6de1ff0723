import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';

/**
 * Real capture files for tests, written by sharp from pixel values the test chooses, so the
 * expected decoded values are known exactly.
 */
export interface RawImage {
  width: number;
  height: number;
  /** 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA. */
  channels: 1 | 2 | 3 | 4;
  bitDepth: 8 | 16;
  /** Interleaved samples, row by row. */
  data: Uint8Array | Uint16Array;
}

/** An image whose sample at (x, y, channel) is `value(x, y, c)`. */
export function rawImage(
  width: number,
  height: number,
  channels: RawImage['channels'],
  bitDepth: 8 | 16,
  value: (x: number, y: number, c: number) => number,
): RawImage {
  const data =
    bitDepth === 16 ? new Uint16Array(width * height * channels) : new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) data[(y * width + x) * channels + c] = value(x, y, c);
    }
  }
  return { width, height, channels, bitDepth, data };
}

/** A grey image, every pixel `value(x, y)`. */
export const greyImage = (
  width: number,
  height: number,
  bitDepth: 8 | 16,
  value: (x: number, y: number) => number,
): RawImage => rawImage(width, height, 1, bitDepth, (x, y) => value(x, y));

export type EncodedFormat = 'tiff' | 'png' | 'jpeg' | 'webp' | 'gif';

function pipelineFor(image: RawImage, pageHeight?: number): Sharp {
  const colour =
    image.channels <= 2
      ? image.bitDepth === 16
        ? 'grey16'
        : 'b-w'
      : image.bitDepth === 16
        ? 'rgb16'
        : 'srgb';
  return sharp(image.data, {
    raw: {
      width: image.width,
      height: image.height,
      channels: image.channels,
      ...(pageHeight ? { pageHeight } : {}),
    },
  }).toColourspace(colour);
}

/**
 * Encodes an image losslessly where the format allows. TIFF uses LZW: sharp's default TIFF
 * compression is JPEG, which would silently turn a 16-bit capture into an 8-bit one.
 */
export async function encode(image: RawImage, format: EncodedFormat): Promise<Buffer> {
  const pipeline = pipelineFor(image);
  switch (format) {
    case 'tiff':
      return pipeline.tiff({ compression: 'lzw' }).toBuffer();
    case 'png':
      return pipeline.png().toBuffer();
    case 'jpeg':
      return pipeline.jpeg({ quality: 95 }).toBuffer();
    case 'webp':
      return pipeline.webp({ lossless: true }).toBuffer();
    case 'gif':
      return pipeline.gif().toBuffer();
  }
}

/** A multi-page TIFF, one page per image (all the same size, channels and bit depth). */
export async function multiPageTiff(pages: RawImage[]): Promise<Buffer> {
  const first = pages[0]!;
  const stacked =
    first.bitDepth === 16
      ? new Uint16Array(first.data.length * pages.length)
      : new Uint8Array(first.data.length * pages.length);
  pages.forEach((page, i) => stacked.set(page.data, i * first.data.length));
  const tall: RawImage = { ...first, height: first.height * pages.length, data: stacked };
  return pipelineFor(tall, first.height).tiff({ compression: 'lzw' }).toBuffer();
}

/** The first bytes of formats we recognise but do not decode, as their files begin. */
export const foreignHeaders = {
  // A whole 1×1 24-bit BMP: file header, info header, one pixel padded to 4 bytes.
  BMP: Buffer.from([
    0x42, 0x4d, 0x3a, 0, 0, 0, 0, 0, 0, 0, 0x36, 0, 0, 0, 0x28, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0x18,
    0, 0, 0, 0, 0, 4, 0, 0, 0, 0x13, 0x0b, 0, 0, 0x13, 0x0b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20, 0x40, 0x80,
    0,
  ]),
  // Zeiss CZI: a segment header whose id is "ZISRAWFILE", zero padded to 16 bytes.
  'Zeiss CZI': Buffer.concat([Buffer.from('ZISRAWFILE'), Buffer.alloc(54)]),
  // Nikon ND2 (version 2 and later): the chunk magic 0x0ABECEDA, little-endian.
  'Nikon ND2': Buffer.concat([Buffer.from([0xda, 0xce, 0xbe, 0x0a]), Buffer.alloc(60)]),
  // Leica LIF: test value 0x70, then the size, then the XML block's 0x2A marker.
  'Leica LIF': Buffer.concat([Buffer.from([0x70, 0, 0, 0, 0x10, 0, 0, 0, 0x2a]), Buffer.alloc(55)]),
} as const;

/** A temporary folder, removed by the returned function. */
export function makeTempDir(prefix = 'metascope-test-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes bytes (or text) to `dir/name` and returns the full path. */
export function writeCapture(dir: string, name: string, bytes: Uint8Array | string): string {
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  return file;
}

/** A fixed, repeatable stream of bytes that match no image format (the first byte is 0x00). */
export function noiseBytes(length: number, seed = 1): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    bytes[i] = state >>> 24;
  }
  bytes[0] = 0;
  return bytes;
}
