import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode, greyImage, makeTempDir, rawImage } from '../core/capture/testing/images.js';
import { discField, writeDetectorFolder, type Disc } from '../core/cells/testing/detector-folder.js';
import { runCli } from './testing/run-cli.js';

const temp = makeTempDir();
// The stand-in detector is both the built-in one (models/detector under METASCOPE_MODELS) and a folder of its own.
const models = path.join(temp.dir, 'models');
const detector = path.join(models, 'detector');
let detectorSha = '';

const evaluate = (...args: string[]) =>
  runCli(['evaluate', '--provider', 'cpu', '--threads', '1', ...args], { METASCOPE_MODELS: models });

const width = 128;
const height = 96;
const three: Disc[] = [
  { x: 30, y: 30, radius: 10 },
  { x: 90, y: 30, radius: 10 },
  { x: 60, y: 70, radius: 12 },
];
// Cut by the left and the bottom edge of the field.
const edges: Disc[] = [
  { x: 2, y: 48, radius: 12 },
  { x: 110, y: 95, radius: 12 },
  { x: 70, y: 40, radius: 10 },
];

/** A label map of discs, the i-th disc labelled values[i], as a grey PNG. */
function labelMap(
  discs: Disc[],
  values: number[],
  bitDepth: 8 | 16 = 8,
  size = { width, height },
): Promise<Buffer> {
  return encode(
    greyImage(size.width, size.height, bitDepth, (x, y) => {
      const i = discs.findIndex((d) => (x - d.x) ** 2 + (y - d.y) ** 2 <= d.radius ** 2);
      return i < 0 ? 0 : values[i]!;
    }),
    'png',
  );
}

/** Writes images/NAME.tif and, unless it is null, masks/NAME.png under root. */
function writeField(root: string, name: string, image: Buffer, mask: Buffer | null): void {
  mkdirSync(path.join(root, 'images'), { recursive: true });
  mkdirSync(path.join(root, 'masks'), { recursive: true });
  writeFileSync(path.join(root, 'images', `${name}.tif`), image);
  if (mask) writeFileSync(path.join(root, 'masks', `${name}.png`), mask);
}

const perfect = path.join(temp.dir, 'perfect');
const mixed = path.join(temp.dir, 'mixed');

beforeAll(async () => {
  detectorSha = (await writeDetectorFolder(detector)).onnx.sha256;
  const threeDiscs = await discField(width, height, three);
  // Every cell found: three discs; cells cut by the edges (labels need not be consecutive); no cells at all.
  writeField(perfect, 'a', threeDiscs, await labelMap(three, [1, 2, 3]));
  writeField(perfect, 'b', await discField(width, height, edges), await labelMap(edges, [7, 200, 31]));
  writeField(
    perfect,
    'c',
    await encode(
      greyImage(width, height, 16, () => 3_000),
      'tiff',
    ),
    await labelMap([], []),
  );

  // "d" has three cells in its (16-bit) mask but only two show in the field: one is missed.
  // "e" has a mask cut short, "f" an RGB one: both fail alone.
  writeField(mixed, 'a', threeDiscs, await labelMap(three, [1, 2, 3]));
  writeField(
    mixed,
    'd',
    await discField(width, height, three.slice(0, 2)),
    await labelMap(three, [1000, 2000, 3000], 16),
  );
  const whole = await labelMap(three, [1, 2, 3]);
  writeField(mixed, 'e', threeDiscs, whole.subarray(0, Math.floor(whole.length * 0.6)));
  const rgb = rawImage(width, height, 3, 8, (x, y, c) =>
    three.some((d) => (x - d.x) ** 2 + (y - d.y) ** 2 <= d.radius ** 2) ? [255, 0, 0][c]! : 0,
  );
  writeField(mixed, 'f', threeDiscs, await encode(rgb, 'png'));
});
afterAll(temp.remove);

const expectMetric = (metric: { value: number | null; interval: [number, number] | null }, value: number) => {
  expect(metric.value).toBeCloseTo(value, 9);
  expect(metric.interval![0]).toBeLessThanOrEqual(value + 1e-9);
  expect(metric.interval![1]).toBeGreaterThanOrEqual(value - 1e-9);
};

// One CLI at a time: each starts Node, tsx and ONNX Runtime, and on two busy cores seven at once run past the timeout.
describe('metascope evaluate --detector', () => {
  it('every cell found: precision, recall and F1 are 1, by centre and at IoU ≥ 0.5; --out writes the same report', async () => {
    const out = path.join(temp.dir, 'report');
    const { code, stdout, stderr } = await evaluate('--json', '--out', out, '--detector', detector, perfect);
    expect(stderr).toContain('Cell finder Test cell finder (bright discs) 1.0.0 on CPU');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(Object.keys(report)).toEqual([
      'n',
      'cells',
      'found',
      'precision',
      'recall',
      'f1',
      'precisionIou50',
      'recallIou50',
      'f1Iou50',
      'perField',
      'failed',
      'detector',
      'timing',
      'bootstrap',
    ]);
    expect(report).toMatchObject({ n: 3, cells: 6, found: 6, failed: [] });
    for (const key of ['precision', 'recall', 'f1', 'precisionIou50', 'recallIou50', 'f1Iou50']) {
      expect(report[key]).toEqual({ value: 1, interval: [1, 1] });
    }
    expect(report.perField).toEqual([
      { name: 'a', cells: 3, found: 3, centreTp: 3, iouTp: 3, precision: 1, recall: 1, f1: 1, f1Iou50: 1 },
      { name: 'b', cells: 3, found: 3, centreTp: 3, iouTp: 3, precision: 1, recall: 1, f1: 1, f1Iou50: 1 },
      // No cells, none found: every rate is undefined, and the field changes no pooled count.
      {
        name: 'c',
        cells: 0,
        found: 0,
        centreTp: 0,
        iouTp: 0,
        precision: null,
        recall: null,
        f1: null,
        f1Iou50: null,
      },
    ]);
    expect(report.detector).toEqual({ id: 'test-bright-discs', version: '1.0.0', sha256: detectorSha });
    expect(report.timing.provider).toBe('cpu');
    expect(report.timing.meanMsPerField).toBeGreaterThan(0);
    expect(report.bootstrap).toEqual({ resamples: 2000, level: 0.95, unit: 'field' });
    expect(JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'))).toEqual(report);
    expect(stderr).toContain(`Wrote report.json to ${out}.`);
  });

  it('the built-in detector when --detector has no folder: a missed cell lowers recall, and a bad mask fails its field alone (exit 1)', async () => {
    const { code, stdout } = await evaluate(mixed, '--detector', '--json');
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    expect(report.detector.sha256).toBe(detectorSha);
    // a: 3 of 3; d: 2 found of 3 true cells.
    expect(report).toMatchObject({ n: 2, cells: 6, found: 5 });
    expectMetric(report.precision, 1);
    expectMetric(report.recall, 5 / 6);
    expectMetric(report.f1, (2 * 5) / (5 + 6));
    expectMetric(report.recallIou50, 5 / 6);
    expect(report.perField[1]).toEqual({
      name: 'd',
      cells: 3,
      found: 2,
      centreTp: 2,
      iouTp: 2,
      precision: 1,
      recall: 2 / 3,
      f1: 0.8,
      f1Iou50: 0.8,
    });
    expect(report.failed).toEqual([
      {
        name: 'e',
        image: 'images/e.tif',
        mask: 'masks/e.png',
        reason: expect.stringMatching(
          /^masks\/e\.png: The file looks like a PNG image but its data is damaged or incomplete/,
        ),
      },
      {
        name: 'f',
        image: 'images/f.tif',
        mask: 'masks/f.png',
        reason:
          'masks/f.png is a colour image, not a label map: a mask must be grey, 0 for background and one value per cell.',
      },
    ]);
  });

  it('the table: what was measured, the metrics with intervals, a line per field, the failed fields', async () => {
    const { code, stdout } = await evaluate(mixed, `--detector=${detector}`);
    expect(code).toBe(1);
    expect(stdout).toContain(
      'Evaluated the cell finder Test cell finder (bright discs) 1.0.0 on 2 fields: 6 true cells, 5 found; 2 fields failed and are left out.',
    );
    expect(stdout).toContain('Intervals: 95%, percentile bootstrap over 2000 resamples of whole fields.');
    expect(stdout).toMatch(/^Time: [\d.]+ ms per field on CPU, decoding not included\.$/m);
    expect(stdout).toMatch(/^precision\s+100\.0% \[100\.0%, 100\.0%\]$/m);
    expect(stdout).toMatch(/^recall\s+83\.3% \[[\d.]+%, 100\.0%\]$/m);
    expect(stdout).toMatch(/^F1, IoU ≥ 0\.5\s+90\.9% \[/m);
    expect(stdout).toMatch(/^field\s+cells\s+found\s+matched\s+precision\s+recall\s+F1\s+F1, IoU ≥ 0\.5$/m);
    expect(stdout).toMatch(/^a\s+3\s+3\s+3\s+100\.0%\s+100\.0%\s+100\.0%\s+100\.0%$/m);
    expect(stdout).toMatch(/^d\s+3\s+2\s+2\s+100\.0%\s+66\.7%\s+80\.0%\s+80\.0%$/m);
    expect(stdout).toContain('Failed, not in the metrics (2):');
    expect(stdout).toMatch(/^f\s+masks\/f\.png is a colour image, not a label map/m);
  });

  it('no images/ folder is a usage error', async () => {
    const root = path.join(temp.dir, 'no-images');
    mkdirSync(path.join(root, 'masks'), { recursive: true });
    const { code, stdout, stderr } = await evaluate(root, '--detector');
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(
      `metascope: ${root} has no images/ folder: evaluate --detector needs images/NAME.tif`,
    );
  });

  it('a field without its mask is a usage error naming both', async () => {
    const root = path.join(temp.dir, 'missing-mask');
    const field = await discField(width, height, three);
    writeField(root, 'set01', field, await labelMap(three, [1, 2, 3]));
    writeField(root, 'set07', field, null);
    const { code, stdout, stderr } = await evaluate(root, '--detector');
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('metascope: images/set07.tif has no mask masks/set07.png.\n');
  });

  it('a mask of another size than its field is a usage error giving both sizes', async () => {
    const root = path.join(temp.dir, 'wrong-size');
    writeField(
      root,
      'set03',
      await discField(width, height, three),
      await labelMap([], [], 8, { width: 64, height: 64 }),
    );
    const { code, stdout, stderr } = await evaluate(root, '--detector');
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('metascope: masks/set03.png is 64 × 64 but images/set03.tif is 128 × 96.\n');
  });

  it('no built-in detector and no folder named is a usage error saying how to name one', async () => {
    const none = path.join(temp.dir, 'no-models');
    const { code, stdout, stderr } = await runCli(['evaluate', perfect, '--detector'], {
      METASCOPE_MODELS: none,
    });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(
      `metascope: No built-in cell finder is installed (${path.join(none, 'detector')}): name one with --detector <folder>.\n`,
    );
  });
});
