import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../electron/core/evaluate/bootstrap.js';
import { FIXTURE_KINDS, type Fixture, type FixtureKind, inspectFixture, makeFixtures, plantCells, sha256File } from './fixtures.js';

// The machine is shared and slow: generous limits; 2048² renders take about half a second each.
const SLOW = 120_000;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'metascope-fixtures-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The pixels as sharp decodes them, keeping 16 bits where the file has them. */
async function pixels(file: string, bitDepth: 8 | 16): Promise<Uint8Array | Uint16Array> {
  if (bitDepth === 16) {
    const { data } = await sharp(file)
      .toColourspace('grey16')
      .raw({ depth: 'ushort' })
      .toBuffer({ resolveWithObject: true });
    return new Uint16Array(data.buffer, data.byteOffset, data.length / 2);
  }
  return new Uint8Array(await sharp(file).toColourspace('b-w').raw().toBuffer());
}

function stats(values: Uint8Array | Uint16Array) {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sum2 = 0;
  const levels = new Set<number>();
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    sum2 += v * v;
    levels.add(v);
  }
  const mean = sum / values.length;
  return { min, max, mean, std: Math.sqrt(sum2 / values.length - mean * mean), levels: levels.size };
}

describe.each([
  ['crop224', '.jpg', 'jpeg', 'uchar'],
  ['field8', '.tif', 'tiff', 'uchar'],
  ['field16', '.tif', 'tiff', 'ushort'],
  ['cells16', '.tif', 'tiff', 'ushort'],
] as const)('%s fixtures', (kind: FixtureKind, extension, format, depth) => {
  const spec = FIXTURE_KINDS[kind];
  let files: Fixture[];
  beforeAll(async () => {
    files = await makeFixtures(path.join(dir, kind), { kind, count: 3 });
  }, SLOW);

  it('has the stated format, size, one channel and bit depth', async () => {
    expect(files.map((f) => path.basename(f.path))).toEqual([0, 1, 2].map((i) => `${kind}-000${i}${extension}`));
    for (const f of files) {
      expect(await inspectFixture(f.path)).toMatchObject({
        format,
        width: spec.width,
        height: spec.height,
        channels: 1,
        depth,
      });
      expect(f).toMatchObject({ kind, width: spec.width, height: spec.height, bitDepth: spec.bitDepth });
    }
  });

  it('has content, not a flat image, within the stated range', async () => {
    for (const f of files) {
      const s = stats(await pixels(f.path, spec.bitDepth));
      expect(s.max).toBeLessThanOrEqual(spec.maxValue);
      expect(s.std).toBeGreaterThan(spec.maxValue * 0.01);
      expect(s.levels).toBeGreaterThan(64);
      if (kind === 'field16') {
        // 12-bit data kept as 16-bit: far more than 256 levels, and values above 8-bit range.
        expect(s.levels).toBeGreaterThan(1000);
        expect(s.max).toBeGreaterThan(1000);
      }
    }
  });

  it('gives every file different content, and reports its real size and SHA-256', async () => {
    const hashes = await Promise.all(files.map((f) => sha256File(f.path)));
    expect(new Set(hashes).size).toBe(files.length);
    expect(files.map((f) => f.sha256)).toEqual(hashes);
    for (const f of files) expect((await stat(f.path)).size).toBe(f.bytes);
  });
});

describe('cells16: phase-contrast fields', () => {
  const spec = FIXTURE_KINDS.cells16;

  it('plants about 60 cells, 40–50 px across, inside the field and clear of each other', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const cells = plantCells(spec, seededRandom(seed));
      expect(cells.length).toBeGreaterThanOrEqual(50);
      expect(cells.length).toBeLessThanOrEqual(70);
      for (const [i, c] of cells.entries()) {
        expect(2 * c.radius).toBeGreaterThanOrEqual(40);
        expect(2 * c.radius).toBeLessThanOrEqual(50);
        expect(c.x - c.radius).toBeGreaterThan(0);
        expect(c.y - c.radius).toBeGreaterThan(0);
        expect(c.x + c.radius).toBeLessThan(spec.width);
        expect(c.y + c.radius).toBeLessThan(spec.height);
        for (const other of cells.slice(i + 1)) {
          expect(Math.hypot(c.x - other.x, c.y - other.y)).toBeGreaterThan(c.radius + other.radius);
        }
      }
    }
  });

  it(
    'looks like phase contrast: mid-grey background, dark bodies and bright halos, and says how many cells it holds',
    async () => {
      const [field] = await makeFixtures(path.join(dir, 'cells16-look'), { kind: 'cells16', count: 1 });
      const values = (await pixels(field!.path, 16)) as Uint16Array;
      const sorted = Uint16Array.from(values).sort();
      const at = (q: number) => sorted[Math.floor(q * (sorted.length - 1))]!;
      // The background, most of the field, sits near half of full scale.
      expect(at(0.5)).toBeGreaterThan(0.4 * 65535);
      expect(at(0.5)).toBeLessThan(0.55 * 65535);
      // Halos well above it, bodies and granules well below it.
      expect(at(0.999)).toBeGreaterThan(1.25 * at(0.5));
      expect(at(0.01)).toBeLessThan(0.8 * at(0.5));
      expect(field!.cells).toBeGreaterThanOrEqual(50);
      expect(field!.cells).toBeLessThanOrEqual(70);
    },
    SLOW,
  );
});

describe('makeFixtures options', () => {
  it(
    'writes TIFFs uncompressed by default and LZW on request, both 16-bit',
    async () => {
      const [plain] = await makeFixtures(path.join(dir, 'plain'), { kind: 'field16', count: 1, seed: 5 });
      const [lzw] = await makeFixtures(path.join(dir, 'lzw'), { kind: 'field16', count: 1, seed: 5, compression: 'lzw' });
      // Uncompressed: the 2048×2048×2 bytes of samples plus a small header.
      expect(plain!.bytes).toBeGreaterThanOrEqual(2048 * 2048 * 2);
      expect(plain!.bytes).toBeLessThan(2048 * 2048 * 2 + 4096);
      expect(lzw!.bytes).toBeLessThan(plain!.bytes);
      expect(await inspectFixture(lzw!.path)).toMatchObject({ format: 'tiff', depth: 'ushort', channels: 1 });
      // Same seed, same pixels, whatever the compression.
      // (Buffer.equals: toEqual walks 8 MB element by element and takes minutes.)
      const same = Buffer.from((await pixels(lzw!.path, 16)).buffer).equals(
        Buffer.from((await pixels(plain!.path, 16)).buffer),
      );
      expect(same).toBe(true);
    },
    SLOW,
  );

  it(
    'is reproducible for a seed and differs between seeds and start indices',
    async () => {
      const a = await makeFixtures(path.join(dir, 'seed-a'), { kind: 'crop224', count: 2, seed: 7 });
      const b = await makeFixtures(path.join(dir, 'seed-b'), { kind: 'crop224', count: 2, seed: 7 });
      const c = await makeFixtures(path.join(dir, 'seed-c'), { kind: 'crop224', count: 2, seed: 8 });
      const d = await makeFixtures(path.join(dir, 'seed-a'), { kind: 'crop224', count: 2, seed: 7, start: 2 });
      expect(b.map((f) => f.sha256)).toEqual(a.map((f) => f.sha256));
      expect((await readFile(b[0]!.path)).equals(await readFile(a[0]!.path))).toBe(true);
      const all = [...a, ...c, ...d].map((f) => f.sha256);
      expect(new Set(all).size).toBe(all.length);
      expect(path.basename(d[0]!.path)).toBe('crop224-0002.jpg');
    },
    SLOW,
  );

  it('rejects an unknown kind or a bad count', async () => {
    await expect(makeFixtures(dir, { kind: 'field12' as FixtureKind, count: 1 })).rejects.toThrow(/Unknown fixture kind/);
    await expect(makeFixtures(dir, { kind: 'crop224', count: -1 })).rejects.toThrow(/count/);
    expect(await makeFixtures(path.join(dir, 'none'), { kind: 'crop224', count: 0 })).toEqual([]);
  });
});
