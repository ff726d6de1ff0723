import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode, greyImage, makeTempDir, noiseBytes, writeCapture } from '../core/capture/testing/images.js';
import { estimateText, type Estimate } from '../core/evaluate/evaluation.js';
import { writeModelFolder } from '../core/model/testing/model-folder.js';
import { writeScopedModel } from '../core/model/testing/scoped-model.js';
import { runCli } from './testing/run-cli.js';

const temp = makeTempDir();
const model = path.join(temp.dir, 'model');
const data = path.join(temp.dir, 'data');
let modelSha = '';

const evaluate = (...args: string[]) =>
  runCli(['evaluate', '--model', model, '--provider', 'cpu', '--threads', '1', ...args], {
    METASCOPE_MODELS: path.join(temp.dir, 'no-shipped-models'),
  });

/** Writes 8-bit PNGs of one grey level each into root/folder. */
async function writeGreys(root: string, folder: string, levels: number[]): Promise<void> {
  mkdirSync(path.join(root, folder), { recursive: true });
  for (const [i, level] of levels.entries()) {
    writeCapture(
      path.join(root, folder),
      `${i}.png`,
      await encode(
        greyImage(8, 8, 8, () => level),
        'png',
      ),
    );
  }
}

// The tiny model: grey 204 → p(bright) = σ(4 · 0.8 − 2) = 0.7685248; grey 51 → σ(−1.2) = 0.2314752.
// "Dim": three dim captures and one bright one; "_BRIGHT_": three bright ones and a corrupt file.
beforeAll(async () => {
  modelSha = (await writeModelFolder(model)).onnx.sha256;
  await writeGreys(data, 'Dim', [51, 51, 51, 204]);
  await writeGreys(data, '_BRIGHT_', [204, 204, 204]);
  writeCapture(path.join(data, '_BRIGHT_'), 'corrupt.jpg', noiseBytes(100));
});
afterAll(temp.remove);

const expectInterval = (e: Estimate, value: number) => {
  expect(e.value).toBeCloseTo(value, 6);
  expect(e.low).toBeLessThanOrEqual(e.value!);
  expect(e.high).toBeGreaterThanOrEqual(e.value!);
};

describe.concurrent('metascope evaluate', () => {
  it('--json --out: one object with every metric and its interval, the plots and report.json; a failed capture is exit code 1', async () => {
    const out = path.join(temp.dir, 'report');
    const { code, stdout, stderr } = await evaluate('--json', '--out', out, data);
    expect(code).toBe(1);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const report = JSON.parse(lines[0]!);
    for (const key of [
      'n',
      'accuracy',
      'balancedAccuracy',
      'auc',
      'ece',
      'confusion',
      'perClass',
      'failed',
      'model',
    ]) {
      expect(report).toHaveProperty(key);
    }
    expect(report.n).toBe(7);
    expectInterval(report.accuracy, 6 / 7);
    expectInterval(report.balancedAccuracy, (3 / 4 + 1) / 2);
    // Bright captures beat 3 dim ones and tie with the 4th: (3 + 0.5) per positive, over 4 pairs each.
    expectInterval(report.auc, 3.5 / 4);
    // Every confidence is 0.7685248, in one bin, where 6 of 7 are right.
    expectInterval(report.ece, 6 / 7 - 0.7685248);
    expect(report.confusion).toEqual({
      classes: ['dim', 'bright'],
      matrix: [
        [3, 1],
        [0, 3],
      ],
    });
    expect(report.perClass.dim.n).toBe(4);
    expectInterval(report.perClass.dim.precision, 1);
    expectInterval(report.perClass.dim.recall, 3 / 4);
    expect(report.perClass.bright.n).toBe(3);
    expectInterval(report.perClass.bright.precision, 3 / 4);
    expectInterval(report.perClass.bright.recall, 1);
    expect(report.failed).toEqual([
      {
        file: path.join(data, '_BRIGHT_', 'corrupt.jpg'),
        class: 'bright',
        reason: expect.stringMatching(/not an image/),
      },
    ]);
    expect(report.model).toEqual({ id: 'test-linear-mean', version: '1.0.0', sha256: modelSha });
    expect(stderr).toContain(`Wrote report.json, roc.svg/.png and reliability.svg/.png to ${out}.`);

    const saved = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(saved).toMatchObject(report);
    expect(saved.roc[0].positive).toBe('bright');
    expect(saved.reliability).toHaveLength(10);
    const roc = readFileSync(path.join(out, 'roc.svg'), 'utf8');
    expect(roc).toContain(`ROC curve, AUC ${estimateText(report.auc)}`);
    expect(roc).toContain('<polyline');
    expect(readFileSync(path.join(out, 'reliability.svg'), 'utf8')).toContain(
      `Reliability diagram, ECE ${estimateText(report.ece)}`,
    );
    for (const png of ['roc.png', 'reliability.png']) {
      expect((await sharp(path.join(out, png)).metadata()).format).toBe('png');
    }
  });

  it('the table: counts, metrics with intervals, the confusion matrix and the failed capture', async () => {
    const { code, stdout } = await evaluate(data);
    expect(code).toBe(1);
    expect(stdout).toContain('Evaluated 7 captures in 2 classes; 1 failed and are left out.');
    expect(stdout).toMatch(/^dim\s+Dim\s+4\s+100\.0% \[100\.0%, 100\.0%\]\s+75\.0% \[[\d.]+%, 100\.0%\]$/m);
    expect(stdout).toMatch(/^bright\s+_BRIGHT_\s+3\s+75\.0% \[/m);
    expect(stdout).toMatch(/^accuracy\s+85\.7% \[[\d.]+%, [\d.]+%\]$/m);
    expect(stdout).toMatch(/^balanced accuracy\s+87\.5% \[/m);
    expect(stdout).toMatch(/^ROC AUC, p\(bright\)\s+0\.875 \[/m);
    expect(stdout).toMatch(/^calibration error \(ECE, 10 bins\)\s+0\.089 \[/m);
    expect(stdout).toMatch(/^true \\ predicted\s+dim\s+bright$/m);
    expect(stdout).toMatch(/^dim\s+3\s+1$/m);
    expect(stdout).toMatch(/^bright\s+0\s+3$/m);
    expect(stdout).toMatch(/^\S+corrupt\.jpg\s+bright\s+This file is not an image/m);
  });

  it('a report folder that cannot be written is exit code 2, after the results are printed', async () => {
    const blocked = path.join(writeCapture(temp.dir, 'a-file', 'x'), 'report');
    const { code, stdout, stderr } = await evaluate('--json', '--out', blocked, data);
    expect(code).toBe(2);
    expect(JSON.parse(stdout).n).toBe(7);
    expect(stderr).toContain(`metascope: The report folder ${blocked} cannot be written (ENOTDIR).`);
  });

  it('--group resamples the captures of one frame together, and says which file names it could not group', async () => {
    const framed = path.join(temp.dir, 'framed');
    const write = async (folder: string, name: string, level: number) => {
      mkdirSync(path.join(framed, folder), { recursive: true });
      writeCapture(path.join(framed, folder), name, await encode(greyImage(8, 8, 8, () => level), 'png'));
    };
    await write('dim', 'f1-a.png', 51);
    await write('dim', 'f1-b.png', 51);
    await write('dim', 'f2-a.png', 51);
    await write('dim', 'f3-a.png', 204);
    await write('dim', 'odd.png', 51);
    await write('bright', 'f4-a.png', 204);
    await write('bright', 'f4-b.png', 204);
    await write('bright', 'f5-a.png', 204);
    const grouped = await evaluate('--json', '--group', '^(f[0-9])-', framed);
    expect(grouped.code).toBe(0);
    const report = JSON.parse(grouped.stdout);
    // f1…f5, and odd.png on its own.
    expect(report.bootstrap).toMatchObject({ resamples: 1000, groups: 6 });
    expect(grouped.stderr).toContain('--group "^(f[0-9])-" matched no part of 1 file name; each is resampled on its own.');
    const plain = JSON.parse((await evaluate('--json', framed)).stdout);
    expect(plain.bootstrap.groups).toBeNull();
    expect(plain.balancedAccuracy.value).toBe(report.balancedAccuracy.value);
    expect([plain.balancedAccuracy.low, plain.balancedAccuracy.high]).not.toEqual([
      report.balancedAccuracy.low,
      report.balancedAccuracy.high,
    ]);

    const table = await evaluate('--group', '^(f[0-9])-', framed);
    expect(table.stdout).toContain('within each class, drawing whole groups (6 groups).');
    const invalid = await evaluate('--group', '(f', framed);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/--group "\(f" is not a regular expression/);
  });

  it('a subfolder that matches no class is a usage error naming it and the classes', async () => {
    const root = path.join(temp.dir, 'unmatched');
    await writeGreys(root, 'dim', [51]);
    await writeGreys(root, 'grey', [128]);
    const { code, stdout, stderr } = await evaluate(root);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(
      `metascope: The subfolder "grey" of ${root} matches none of the model's classes: "dim", "bright".`,
    );
  });

  it('a class without a subfolder is reported and left out; AUC needs both classes', async () => {
    const root = path.join(temp.dir, 'one-class');
    await writeGreys(root, 'Bright', [204, 204]);
    const { code, stdout, stderr } = await evaluate('--json', root);
    expect(code).toBe(0);
    expect(stderr).toContain(
      `metascope: no subfolder of ${root} holds class "dim": it is not in the evaluation.`,
    );
    const report = JSON.parse(stdout);
    expect(report.perClass.dim.n).toBe(0);
    expect(report.auc).toEqual({ value: null, low: null, high: null });
    expect(report.accuracy.value).toBe(1);
    expect(report.failed).toEqual([]);
  });
});

describe('metascope evaluate --foreign', () => {
  it('measures the scope check: AUROC, in-distribution accepted, foreign refused, accuracy of the accepted', async () => {
    const scoped = path.join(temp.dir, 'scoped');
    await writeScopedModel(scoped);
    const inside = path.join(temp.dir, 'inside');
    const foreign = path.join(temp.dir, 'foreign');
    mkdirSync(foreign, { recursive: true });
    // Ramps around the model's two training centres (0.3 and 0.7 of 255): in scope and rightly classified.
    const ramp = (centre: number) => encode(greyImage(16, 16, 8, (x) => Math.round(centre - 30 + x * 4)), 'png');
    for (const [folder, centre] of [['dim', 0.3 * 255], ['bright', 0.7 * 255]] as const) {
      mkdirSync(path.join(inside, folder), { recursive: true });
      for (let i = 0; i < 4; i++) writeCapture(path.join(inside, folder), `${i}.png`, await ramp(centre + i - 2));
    }
    // Between the centres, 16-bit, and a dark field with a bright corner: none is what the model knows.
    writeCapture(foreign, 'between.png', await ramp(0.5 * 255));
    writeCapture(foreign, 'sixteen.tif', await encode(greyImage(16, 16, 16, (x) => (150 + x * 4) * 257), 'tiff'));
    writeCapture(foreign, 'spots.png', await encode(greyImage(16, 16, 8, (x, y) => (x > 12 && y > 12 ? 250 : 10 + ((x + y) % 3))), 'png'));
    const { code, stdout, stderr } = await runCli(
      ['evaluate', '--model', scoped, '--provider', 'cpu', '--threads', '1', '--json', '--foreign', foreign, inside],
      { METASCOPE_MODELS: path.join(temp.dir, 'no-shipped-models') },
    );
    expect(code, stderr).toBe(0);
    const { scope } = JSON.parse(stdout) as { scope: Record<string, Estimate> & { inDistribution: number; foreign: number } };
    expect(scope).toMatchObject({ inDistribution: 8, foreign: 3 });
    expectInterval(scope.auroc!, 1);
    expectInterval(scope.acceptedInDistribution!, 1);
    expectInterval(scope.refusedForeign!, 1);
    expectInterval(scope.balancedAccuracyAccepted!, 1);
  });
});
