/**
 * Synthetic microscope captures for the benchmark: grey images with blurry cell-like blobs, uneven
 * illumination and sensor noise, so that decoders and compressors see realistic content (never flat).
 *
 *   crop224  224×224 8-bit grey JPEG (quality 90), like crops cut out of a field
 *   field8   1392×1040 8-bit grey TIFF (a 1.4 MP camera)
 *   field16  2048×2048 16-bit grey TIFF holding 12-bit data (0..4095), like an sCMOS export
 *   cells16  1022×1024 16-bit grey TIFF of about 60 phase-contrast cells (dark textured bodies, bright
 *            halos, mid-grey background, 40–50 px across), like the whole fields a detector is given
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

export type FixtureKind = 'crop224' | 'field8' | 'field16' | 'cells16';
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
  /** Bright blurry blobs on a dark background (fluorescence-like), or phase-contrast cells. */
  look: 'bright-blobs' | 'phase-contrast';
  /** Cells per megapixel and their size range, pixels: a blob's Gaussian sigma, a phase-contrast cell's radius. */
  cellsPerMegapixel: number;
  size: [number, number];
}

export const FIXTURE_KINDS: Readonly<Record<FixtureKind, FixtureSpec>> = {
  crop224: {
    width: 224,
    height: 224,
    bitDepth: 8,
    maxValue: 255,
    format: 'jpeg',
    extension: '.jpg',
    look: 'bright-blobs',
    cellsPerMegapixel: 80,
    size: [6, 28],
  },
  field8: {
    width: 1392,
    height: 1040,
    bitDepth: 8,
    maxValue: 255,
    format: 'tiff',
    extension: '.tif',
    look: 'bright-blobs',
    cellsPerMegapixel: 45,
    size: [5, 22],
  },
  field16: {
    width: 2048,
    height: 2048,
    bitDepth: 16,
    maxValue: 4095,
    format: 'tiff',
    extension: '.tif',
    look: 'bright-blobs',
    cellsPerMegapixel: 30,
    size: [6, 30],
  },
  // The size and look of ../shared/data/phase-contrast-fields (Usiigaci): 1022×1024, mid-grey
  // background near half of full scale, about 60 cells of median area ~1,560 px per field.
  cells16: {
    width: 1022,
    height: 1024,
    bitDepth: 16,
    maxValue: 65535,
    format: 'tiff',
    extension: '.tif',
    look: 'phase-contrast',
    cellsPerMegapixel: 57,
    size: [20, 25],
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
  /** Cells planted in a phase-contrast field (cells16); null for the other kinds. */
  cells: number | null;
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
  return spec.look === 'phase-contrast' ? renderPhaseContrast(spec, random).img : renderBlobs(spec, random);
}

function renderBlobs(spec: FixtureSpec, random: () => number): Float32Array {
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
  const [smin, smax] = spec.size;
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

/** One phase-contrast cell: an ellipse of the area of a disc of `radius`, with a wavy outline. */
export interface PlantedCell {
  x: number;
  y: number;
  radius: number;
  /** Long over short semi-axis (area kept), and the long axis's angle. */
  elongation: number;
  angle: number;
  /** Amplitudes and phases of the outline's 2nd, 3rd and 5th harmonics. */
  wobble: [number, number][];
}

/**
 * Where a phase-contrast field's cells sit: the spec's density ±15 %, radii in its size range,
 * each wholly inside the field and clear of the others (halo included), so every planted cell is one
 * cell a detector can find. Dense fields may get fewer than drawn when no free place is left.
 */
export function plantCells(spec: FixtureSpec, random: () => number): PlantedCell[] {
  const { width: w, height: h } = spec;
  const [rmin, rmax] = spec.size;
  const wanted = Math.max(1, Math.round(spec.cellsPerMegapixel * ((w * h) / 1e6) * (0.85 + 0.3 * random())));
  const cells: PlantedCell[] = [];
  // Farthest reach of a cell's outline from its centre, halo included.
  const reach = (c: Pick<PlantedCell, 'radius' | 'elongation'>) => c.radius * Math.sqrt(c.elongation) * 1.2 + 8;
  for (let i = 0; i < wanted; i++) {
    const radius = rmin + (rmax - rmin) * random();
    const elongation = 1 + 0.8 * random();
    const wobble: [number, number][] = [0.1, 0.07, 0.04].map((a) => [a * random(), 2 * Math.PI * random()]);
    const angle = Math.PI * random();
    const r = reach({ radius, elongation });
    for (let attempt = 0; attempt < 200; attempt++) {
      const x = r + (w - 2 * r) * random();
      const y = r + (h - 2 * r) * random();
      if (cells.every((c) => Math.hypot(c.x - x, c.y - y) >= reach(c) + r)) {
        cells.push({ x, y, radius, elongation, angle, wobble });
        break;
      }
    }
  }
  return cells;
}

/**
 * A Zernike phase-contrast field as a camera gives it: a mid-grey background with gentle shading and
 * dark debris; each cell a slightly dark, granular body with a dark rim and a bright halo just
 * outside it; additive read noise.
 */
function renderPhaseContrast(spec: FixtureSpec, random: () => number): { img: Float32Array; cells: PlantedCell[] } {
  const { width: w, height: h, maxValue: max } = spec;
  const img = new Float32Array(w * h);
  const cells = plantCells(spec, random);
  const base = max * (0.46 + 0.04 * random());
  const tiltX = (random() - 0.5) * 0.08;
  const tiltY = (random() - 0.5) * 0.08;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) img[y * w + x] = base * (1 + tiltX * (x / w - 0.5) + tiltY * (y / h - 0.5));
  }
  const spot = (bx: number, by: number, sigma: number, amp: number) => {
    const r = Math.ceil(3 * sigma);
    const k = 1 / (2 * sigma * sigma);
    for (let y = Math.max(0, Math.floor(by - r)); y <= Math.min(h - 1, Math.ceil(by + r)); y++) {
      for (let x = Math.max(0, Math.floor(bx - r)); x <= Math.min(w - 1, Math.ceil(bx + r)); x++) {
        img[y * w + x] = img[y * w + x]! + amp * Math.exp(-((x - bx) ** 2 + (y - by) ** 2) * k);
      }
    }
  };
  // Debris on the coverslip.
  const debris = Math.round(150 * ((w * h) / 1e6) * (0.5 + random()));
  for (let i = 0; i < debris; i++) spot(random() * w, random() * h, 0.8 + 1.2 * random(), -base * (0.08 + 0.2 * random()));

  for (const cell of cells) {
    const a = cell.radius * Math.sqrt(cell.elongation);
    const b = cell.radius / Math.sqrt(cell.elongation);
    const c = Math.cos(cell.angle);
    const s = Math.sin(cell.angle);
    const reach = Math.ceil(a * 1.2 + 12);
    const body = -base * (0.03 + 0.06 * random());
    for (let y = Math.max(0, Math.floor(cell.y - reach)); y <= Math.min(h - 1, Math.ceil(cell.y + reach)); y++) {
      for (let x = Math.max(0, Math.floor(cell.x - reach)); x <= Math.min(w - 1, Math.ceil(cell.x + reach)); x++) {
        const dx = x - cell.x;
        const dy = y - cell.y;
        const u = (dx * c + dy * s) / a;
        const v = (-dx * s + dy * c) / b;
        const phi = Math.atan2(v, u);
        const outline = 1 + cell.wobble.reduce((sum, [amp, phase], i) => sum + amp * Math.cos([2, 3, 5][i]! * phi + phase), 0);
        // Signed distance to the outline, roughly in pixels (negative inside).
        const d = (Math.hypot(u, v) / outline - 1) * cell.radius;
        let value = 0;
        if (d < 0) value += body * Math.min(1, -d / 2);
        value -= base * 0.25 * Math.exp(-(((d + 1.5) / 1.6) ** 2)); // dark rim
        value += base * 0.45 * Math.exp(-(((d - 3) / 2.5) ** 2)); // bright halo
        img[y * w + x] = img[y * w + x]! + value;
      }
    }
    // Granules around the nucleus: dark, and a few bright.
    const granules = 4 + Math.floor(8 * random());
    for (let i = 0; i < granules; i++) {
      const t = 2 * Math.PI * random();
      const r = 0.55 * Math.sqrt(random());
      const gx = cell.x + r * (a * Math.cos(t) * c - b * Math.sin(t) * s);
      const gy = cell.y + r * (a * Math.cos(t) * s + b * Math.sin(t) * c);
      spot(gx, gy, 1.3 + random(), (random() < 0.8 ? -0.35 : 0.3) * base);
    }
  }

  // Read noise (Box–Muller, two samples per draw), then clipped to the sensor's range.
  const noise = max * 0.008;
  for (let i = 0; i < img.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - random()));
    const t = 2 * Math.PI * random();
    img[i] = img[i]! + noise * r * Math.cos(t);
    if (i + 1 < img.length) img[i + 1] = img[i + 1]! + noise * r * Math.sin(t);
  }
  return { img, cells };
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
  if (!spec) throw new Error(`Unknown fixture kind "${String(kind)}": use crop224, field8, field16 or cells16.`);
  if (!Number.isInteger(count) || count < 0) throw new Error(`count must be a whole number ≥ 0, not ${count}.`);
  await mkdir(dir, { recursive: true });
  const written: Fixture[] = [];
  for (let i = start; i < start + count; i++) {
    const random = seededRandom(seedOf(seed, kind, i));
    const { img, cells } =
      spec.look === 'phase-contrast' ? renderPhaseContrast(spec, random) : { img: renderBlobs(spec, random), cells: null };
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
      cells: cells?.length ?? null,
    });
  }
  return written;
}

/** SHA-256 of a file's bytes (hex). */
export async function sha256File(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}
