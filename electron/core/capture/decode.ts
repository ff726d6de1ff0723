import sharp, { type Metadata, type OutputInfo } from 'sharp';
import { CaptureError } from './errors.js';
import { sniffFormat, type CaptureFormat } from './formats.js';
import { readGreyStrips } from './tiff-strips.js';

/** What a capture is, as read from its header. */
export interface CaptureInfo {
  format: CaptureFormat;
  width: number;
  height: number;
  /** Bits per sample of the stored data: microscope exports are often 16-bit holding 12-bit data. */
  bitDepth: 8 | 16;
  /** Samples per pixel as stored, alpha included. */
  channels: number;
  colour: 'grey' | 'rgb';
  hasAlpha: boolean;
  pages: number;
}

export interface DecodeLimits {
  /** Captures with more pixels than this are refused before decoding (default 0x3FFF², sharp's own default). */
  maxPixels?: number;
}

export const defaultMaxPixels = 0x3fff * 0x3fff;

/** Pixels at native bit depth, interleaved, alpha removed. */
export interface CapturePixels {
  width: number;
  height: number;
  channels: 1 | 3;
  bitDepth: 8 | 16;
  data: Uint8Array | Uint16Array;
}

export interface PixelRequest extends DecodeLimits {
  page?: number;
  /** Target size and how to get there; omitted = full resolution. */
  size?: { width: number; height: number; resize: 'stretch' | 'fit' | 'center-crop' };
  /** Output colour: 'grey' folds RGB to luminance, 'rgb' repeats grey into three channels. */
  colour: 'grey' | 'rgb';
}

const fitFor = { stretch: 'fill', fit: 'contain', 'center-crop': 'cover' } as const;

/** A capture file not read whole: its first bytes (enough to tell its format) and its size. */
export interface CaptureHead {
  file: string;
  head: Uint8Array;
  size: number;
}

/**
 * Reads the header: format, size, bit depth, pages. Refuses what we cannot decode, saying why.
 * From the content, or from the file itself, of which only the header is read.
 */
export async function readCaptureInfo(source: Uint8Array | CaptureHead, limits: DecodeLimits = {}): Promise<CaptureInfo> {
  const bytes = source instanceof Uint8Array ? source : source.head;
  if ((source instanceof Uint8Array ? source.length : source.size) === 0) {
    throw new CaptureError('empty', 'The file is empty (0 bytes): the export may have failed or not started yet.');
  }
  const sniffed = sniffFormat(bytes);
  if (sniffed && !sniffed.supported) {
    throw new CaptureError(
      'unsupported-format',
      `This is a ${sniffed.name} file, which MetaScope cannot read yet. Export the capture as TIFF, PNG or JPEG.`,
    );
  }
  if (!sniffed) {
    throw new CaptureError(
      'not-an-image',
      'This file is not an image MetaScope knows (TIFF, PNG, JPEG or WebP): its contents match none of them.',
    );
  }
  let meta: Metadata;
  try {
    meta = await sharp(source instanceof Uint8Array ? source : source.file, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw corrupt(sniffed.name, error);
  }
  const maxPixels = limits.maxPixels ?? defaultMaxPixels;
  if (meta.width * meta.height > maxPixels) {
    throw new CaptureError(
      'too-large',
      `The image is ${meta.width} × ${meta.height} pixels, more than the limit of ${maxPixels.toLocaleString('en')} pixels set for captures.`,
    );
  }
  const bitDepth = meta.depth === 'uchar' ? 8 : meta.depth === 'ushort' ? 16 : null;
  if (bitDepth === null) {
    throw new CaptureError(
      'unsupported-pixels',
      `The image stores its pixels as "${meta.depth}" samples; MetaScope reads 8- and 16-bit integer images only. Export as 8- or 16-bit.`,
    );
  }
  const colourChannels = meta.hasAlpha ? meta.channels - 1 : meta.channels;
  if (colourChannels !== 1 && colourChannels !== 3) {
    throw new CaptureError(
      'unsupported-pixels',
      `The image has ${meta.channels} channels (${meta.space}); MetaScope reads grey and RGB images, with or without alpha.`,
    );
  }
  return {
    format: sniffed.supported as CaptureFormat,
    width: meta.width,
    height: meta.pageHeight && meta.pages && meta.pages > 1 ? meta.pageHeight : meta.height,
    bitDepth,
    channels: meta.channels,
    colour: colourChannels === 1 ? 'grey' : 'rgb',
    hasAlpha: meta.hasAlpha,
    pages: meta.pages ?? 1,
  };
}

/** Decodes one page at its native bit depth, resized and coloured as asked, in a single sharp pass. */
export async function decodePixels(
  bytes: Uint8Array,
  info: CaptureInfo,
  request: PixelRequest,
): Promise<CapturePixels> {
  const page = request.page ?? 0;
  if (page >= info.pages) {
    throw new CaptureError(
      'no-such-page',
      `Page ${page + 1} was asked for, but the file has ${info.pages === 1 ? 'only one page' : `${info.pages} pages`}.`,
    );
  }
  const sixteen = info.bitDepth === 16;
  const limitInputPixels = request.maxPixels ?? defaultMaxPixels;
  const strips = info.format === 'tiff' && info.pages === 1 ? readGreyStrips(bytes) : null;
  if (strips && 'missingBytes' in strips) {
    throw corrupt('TIFF', new Error(`its pixels stop ${strips.missingBytes.toLocaleString('en')} bytes short of the end`));
  }
  let image = (
    strips && strips.bitDepth === info.bitDepth
      ? sharp(strips.data, { raw: { width: strips.width, height: strips.height, channels: 1 }, limitInputPixels })
      : // A truncated file must fail here, not come out as a half-grey image.
        sharp(bytes, { page, limitInputPixels, failOn: 'truncated' })
  ).removeAlpha();
  if (request.size) {
    image = image.resize(request.size.width, request.size.height, {
      fit: fitFor[request.size.resize],
      // Bilinear and antialiased, as torchvision's Resize that most models are trained with; on a
      // 2048² 16-bit field it takes about 16 ms where sharp's default Lanczos takes 25 (BENCHMARKS.md).
      kernel: 'linear',
      position: 'centre',
      background: { r: 0, g: 0, b: 0 },
    });
  }
  const space = request.colour === 'grey' ? (sixteen ? 'grey16' : 'b-w') : sixteen ? 'rgb16' : 'srgb';
  let raw: { data: Buffer; info: OutputInfo };
  try {
    raw = await image
      .toColourspace(space)
      .raw({ depth: sixteen ? 'ushort' : 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw corrupt(info.format.toUpperCase(), error);
  }
  const channels = raw.info.channels;
  if (channels !== 1 && channels !== 3) {
    throw new CaptureError('wrong-channels', `Decoding gave ${channels} channels where 1 or 3 were expected.`);
  }
  const data = sixteen
    ? new Uint16Array(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength / 2)
    : new Uint8Array(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength);
  return { width: raw.info.width, height: raw.info.height, channels, bitDepth: info.bitDepth, data };
}

function corrupt(formatName: string, error: unknown): CaptureError {
  const detail = error instanceof Error ? error.message.split('\n')[0]?.trim() : String(error);
  return new CaptureError(
    'corrupt',
    `The file looks like a ${formatName} image but its data is damaged or incomplete, so it cannot be read (${detail}).`,
  );
}
