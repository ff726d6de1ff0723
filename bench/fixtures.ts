/**
 * Synthetic microscope captures for the benchmark: grey images with blurry cell-like blobs, uneven
 * illumination and sensor noise, so that decoders and compressors see realistic content (never flat).
 *
 *   crop224  224×224 8-bit grey JPEG (quality 90), like crops cut out of a field
 *   field8   1392×1040 8-bit grey TIFF (a 1.4 MP camera)
 *   field16  2048×2048 16-bit grey TIFF holding 12-bit data (0..4095), like an sCMOS export
 *
 * TIFFs are written uncompressed by default (`compression: 'none'`); `compression: 'lzw'` writes LZW
 * with horizontal predictor instead. Note: Debian's python3-tifffile cannot read LZW without the
 * `imagecodecs` package (not installed here), so the Python peer falls back to PIL for those.
 *
 * Every file gets its own seeded PRNG stream (seed, kind, index), so runs are reproducible and every
 * file has different content (and SHA-256).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { seededRandom } from '../electron/core/evaluate/bootstrap.js';

export type FixtureKind = 'crop224' | 'field8' | 'field16';
export type TiffCompression = 'none' | 'lzw';

export interface FixtureSpec {
  width: number;
  height: number;
  /** Bits per sample in the file. */
  bitDepth: 8 | 16;
  /** Largest value the content uses (4095 for 12-bit data in a 16-bit file). */
  maxValue: number;
  format: 'jpeg' | 'tiff';
  extension: '.jpg' | '.tif';
  /** Cells per megapixel and their blur radius range (Gaussian sigma, pixels). */
  cellsPerMegapixel: number;
  sigma: [number, number];
}

export const FIXTURE_KINDS: Readonly<Record<FixtureKind, FixtureSpec>> = {
  crop224: {
    width: 224,
    height: 224,
    bitDepth: 8,
    maxValue: 255,
    format: 'jpeg',
    extension: '.jpg',
    cellsPerMegapixel: 80,
    sigma: [6, 28],
  },
  field8: {
    width: 1392,
    height: 1040,
    bitDepth: 8,
    maxValue: 255,
    format: 'tiff',
    extension: '.tif',
    cellsPerMegapixel: 45,
    sigma: [5, 22],
  },
  field16: {
    width: 2048,
    height: 2048,
    bitDepth: 16,
    maxValue: 4095,
    format: 'tiff',
    extension: '.tif',
    cellsPerMegapixel: 30,
    sigma: [6, 30],
  },
};

export interface MakeFixturesOptions {
  kind: FixtureKind;
  count: number;
  /** Base seed; the same seed, kind and index always give the same image. Default 1. */
  seed?: number;
  /** TIFF compression (ignored for JPEG). Default 'none'. */
  compression?: TiffCompression;
  /** Index of the first file (to add files to a folder without repeating content). Default 0. */
  start?: number;
}

export interface Fixture {
  path: string;
  kind: FixtureKind;
  width: number;
  height: number;
  bitDepth: 8 | 16;
  bytes: number;
  sha256: string;
}


/** A 32-bit seed from the parts (FNV-1a over their text), so nearby indices give unrelated streams. */
function seedOf(...parts: (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const ch of parts.join('/')) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Renders one capture as intensities in 0..spec.maxValue (float): a tilted, vignetted background,
 * elliptical Gaussian cells of varying size and brightness, a few small bright spots, then shot-like
 * and read noise.
 */
export function renderCapture(spec: FixtureSpec, random: () => number): Float32Array {
  const { width: w, height: h, maxValue: max } = spec;
  const img = new Float32Array(w * h);

  // Background: 4..10 % of full scale, a gentle tilt and a vignette.
  const base = max * (0.04 + 0.06 * random());
  const tiltX = (random() - 0.5) * 0.4;
  const tiltY = (random() - 0.5) * 0.4;
  const vignette = 0.2 + 0.3 * random();
  const cx = w / 2;
  const cy = h / 2;
  const r2max = cx * cx + cy * cy;
  for (let y = 0; y < h; y++) {
    const dy = y - cy;
    for (let x = 0; x < w; x++) {
      const dx = x - cx;
      const shade = 1 + tiltX * (dx / w) + tiltY * (dy / h) - vignette * ((dx * dx + dy * dy) / r2max);
      img[y * w + x] = base * shade;
    }
  }

  const addBlob = (bx: number, by: number, sx: number, sy: number, theta: number, amp: number) => {
    const c = Math.cos(theta);
    const s = Math.sin(theta);
    const r = Math.ceil(3 * Math.max(sx, sy));
    const x0 = Math.max(0, Math.floor(bx - r));
    const x1 = Math.min(w - 1, Math.ceil(bx + r));
    const y0 = Math.max(0, Math.floor(by - r));
    const y1 = Math.min(h - 1, Math.ceil(by + r));
    const ix = 1 / (2 * sx * sx);
    const iy = 1 / (2 * sy * sy);
    for (let y = y0; y <= y1; y++) {
      const dy = y - by;
      const row = y * w;
      for (let x = x0; x <= x1; x++) {
        const dx = x - bx;
        const u = dx * c + dy * s;
        const v = -dx * s + dy * c;
        const q = u * u * ix + v * v * iy;
        if (q < 9) img[row + x] = (img[row + x] ?? 0) + amp * Math.exp(-q);
      }
    }
  };

  // Cells: the count varies ±50 % around the kind's density, at least one.
  const megapixels = (w * h) / 1e6;
  const cells = Math.max(1, Math.round(spec.cellsPerMegapixel * megapixels * (0.5 + random())));
  const [smin, smax] = spec.sigma;
  for (let i = 0; i < cells; i++) {
    const sigma = smin + (smax - smin) * random() ** 1.5;
    const elongation = 1 + 0.8 * random();
    addBlob(
      random() * w,
      random() * h,
      sigma * elongation,
      sigma,
      random() * Math.PI,
      max * (0.15 + 0.6 * random()),
    );
  }
  // Small bright spots (debris, vesicles).
  const spots = Math.round(cells * (0.5 + random()));
  for (let i = 0; i < spots; i++) {
    const sigma = 1 + 2 * random();
    addBlob(random() * w, random() * h, sigma, sigma, 0, max * (0.1 + 0.5 * random()));
  }

  // Noise: shot-like (grows with the signal) plus read noise. Box–Muller, two samples per draw.
  const read = max * 0.006;
  const shot = Math.sqrt(max) * 0.25;
  for (let i = 0; i < img.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - random()));
    const t = 2 * Math.PI * random();
    for (let k = 0; k < 2 && i + k < img.length; k++) {
      const g = k === 0 ? r * Math.cos(t) : r * Math.sin(t);
      const v = img[i + k] ?? 0;
      img[i + k] = v + g * (read + shot * Math.sqrt(Math.max(v, 0) / max));
    }
  }
  return img;
}

function quantize8(img: Float32Array): Uint8Array {
  const out = new Uint8Array(img.length);
  for (let i = 0; i < img.length; i++) out[i] = Math.min(255, Math.max(0, Math.round(img[i] ?? 0)));
  return out;
}

function quantize16(img: Float32Array, max: number): Uint16Array {
  const out = new Uint16Array(img.length);
  for (let i = 0; i < img.length; i++) out[i] = Math.min(max, Math.max(0, Math.round(img[i] ?? 0)));
  return out;
}

/** Encodes the rendered capture into the kind's file format. */
async function encode(spec: FixtureSpec, img: Float32Array, compression: TiffCompression): Promise<Buffer> {
  const raw = { width: spec.width, height: spec.height, channels: 1 as const };
  const tiff = { compression, predictor: compression === 'lzw' ? 'horizontal' : 'none' };
  if (spec.bitDepth === 16) {
    // sharp 0.35 takes the raw input's sample format from the typed array: a Uint16Array is 'ushort'.
    // grey16 keeps all 16 bits in the TIFF (without it sharp writes 8-bit).
    return sharp(quantize16(img, spec.maxValue), { raw })
      .toColourspace('grey16')
      .tiff(tiff)
      .toBuffer();
  }
  const pipeline = sharp(quantize8(img), { raw }).toColourspace('b-w');
  return spec.format === 'jpeg'
    ? pipeline.jpeg({ quality: 90, chromaSubsampling: '4:4:4' }).toBuffer()
    : pipeline.tiff(tiff).toBuffer();
}

export interface FixtureCheck {
  format: string | undefined;
  width: number | undefined;
  height: number | undefined;
  channels: number | undefined;
  space: string | undefined;
  /** sharp's sample format: 'uchar' for 8-bit, 'ushort' for 16-bit. */
  depth: string | undefined;
}

/** What sharp reads from a file's header. */
export async function inspectFixture(file: string | Buffer): Promise<FixtureCheck> {
  const m = await sharp(file).metadata();
  return { format: m.format, width: m.width, height: m.height, channels: m.channels, space: m.space, depth: m.depth };
}

function matches(spec: FixtureSpec, check: FixtureCheck): boolean {
  return (
    check.format === spec.format &&
    check.width === spec.width &&
    check.height === spec.height &&
    check.channels === 1 &&
    check.depth === (spec.bitDepth === 16 ? 'ushort' : 'uchar')
  );
}

/**
 * Writes `count` captures of `kind` into `dir` (created if missing) as `<kind>-<index>.jpg|.tif`,
 * overwriting files of the same name. Each file's header is checked with sharp (format, size, one
 * channel, 'uchar' or 'ushort' depth) before it is written. Returns the files in index order.
 */
export async function makeFixtures(dir: string, options: MakeFixturesOptions): Promise<Fixture[]> {
  const { kind, count, seed = 1, compression = 'none', start = 0 } = options;
  const spec = FIXTURE_KINDS[kind];
  if (!spec) throw new Error(`Unknown fixture kind "${String(kind)}": use crop224, field8 or field16.`);
  if (!Number.isInteger(count) || count < 0) throw new Error(`count must be a whole number ≥ 0, not ${count}.`);
  await mkdir(dir, { recursive: true });
  const written: Fixture[] = [];
  for (let i = start; i < start + count; i++) {
    const img = renderCapture(spec, seededRandom(seedOf(seed, kind, i)));
    const data = await encode(spec, img, compression);
    const check = await inspectFixture(data);
    if (!matches(spec, check)) {
      throw new Error(`Fixture ${kind} #${i} came out wrong: ${JSON.stringify(check)}.`);
    }
    const file = path.join(dir, `${kind}-${String(i).padStart(4, '0')}${spec.extension}`);
    await writeFile(file, data);
    written.push({
      path: file,
      kind,
      width: spec.width,
      height: spec.height,
      bitDepth: spec.bitDepth,
      bytes: data.length,
      sha256: createHash('sha256').update(data).digest('hex'),
    });
  }
  return written;
}

/** SHA-256 of a file's bytes (hex). */
export async function sha256File(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}
