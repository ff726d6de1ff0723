import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode, greyImage, makeTempDir, noiseBytes, writeCapture } from '../core/capture/testing/images.js';
import { discField, writeDetectorFolder } from '../core/cells/testing/detector-folder.js';
import { writeModelFolder } from '../core/model/testing/model-folder.js';
import { writeScopedModel } from '../core/model/testing/scoped-model.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const temp = makeTempDir();
const model = path.join(temp.dir, 'model');
const captures = path.join(temp.dir, 'captures');
let modelSha = '';
/** Capture paths, written in beforeAll. */
const files = { bright: '', dim: '', corrupt: '', comma: '' };

/** Runs the real CLI from source (tsx, no build), with its stdout, stderr and exit code. */
function metascope(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(repo, 'electron/cli/index.ts'), ...args],
      {
        cwd: repo,
        env: { ...process.env, METASCOPE_MODELS: path.join(temp.dir, 'no-shipped-models') },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const classify = (...args: string[]) =>
  metascope('classify', '--model', model, '--provider', 'cpu', '--threads', '1', ...args);

beforeAll(async () => {
  modelSha = (await writeModelFolder(model)).onnx.sha256;
  mkdirSync(captures);
  // The tiny model: 204/255 = 0.8 → σ(4 · 0.8 − 2) = σ(1.2) = 0.7685248 bright; 51/255 = 0.2 → σ(−1.2) dim.
  // 16 × 16 halves exactly to the model's 8 × 8; 204 · 257 / 65535 = 0.8 as well.
  files.bright = writeCapture(
    captures,
    'bright.tif',
    await encode(
      greyImage(16, 16, 16, () => 204 * 257),
      'tiff',
    ),
  );
  files.dim = writeCapture(
    captures,
    'dim.png',
    await encode(
      greyImage(10, 6, 8, () => 51),
      'png',
    ),
  );
  files.corrupt = writeCapture(captures, 'corrupt.jpg', noiseBytes(100));
  files.comma = writeCapture(
    temp.dir,
    'well A1, field 2.png',
    await encode(
      greyImage(8, 8, 8, () => 204),
      'png',
    ),
  );
});
afterAll(temp.remove);

const jsonLines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

// Each test starts its own process; they run side by side.
describe.concurrent('metascope classify', () => {
  it('--format json: one object per capture, failed ones with an error, exit code 1', async () => {
    const { code, stdout } = await classify('--format', 'json', captures);
    expect(code).toBe(1);
    const rows = jsonLines(stdout);
    expect(rows.map((r) => r.file).sort()).toEqual([files.bright, files.corrupt, files.dim].sort());
    const identity = { id: 'test-linear-mean', version: '1.0.0', sha256: modelSha };

    const bright = rows.find((r) => r.file === files.bright)!;
    expect(bright).toMatchObject({
      status: 'ok',
      class: 'bright',
      provider: 'cpu',
      model: identity,
      width: 16,
      height: 16,
      bitDepth: 16,
    });
    expect(bright.probability).toBeCloseTo(0.7685248, 5);
    expect((bright.probabilities as Record<string, number>).dim).toBeCloseTo(0.2314752, 5);
    expect(bright.sha256).toBe(createHash('sha256').update(readFileSync(files.bright)).digest('hex'));
    expect(bright).not.toHaveProperty('error');

    const dim = rows.find((r) => r.file === files.dim)!;
    expect(dim).toMatchObject({ status: 'ok', class: 'dim', width: 10, height: 6, bitDepth: 8 });
    expect(dim.probability).toBeCloseTo(0.7685248, 5); // p(dim) = 1 − σ(−1.2)

    const corrupt = rows.find((r) => r.file === files.corrupt)!;
    expect(corrupt).toMatchObject({
      status: 'failed',
      class: null,
      probability: null,
      probabilities: null,
      provider: null,
      model: identity,
    });
    expect(corrupt.error).toMatch(/not an image/);
    for (const row of rows) {
      for (const key of [
        'file',
        'status',
        'class',
        'probability',
        'probabilities',
        'provider',
        'model',
        'width',
        'height',
        'bitDepth',
      ]) {
        expect(row).toHaveProperty(key);
      }
    }
  });

  it('--format csv: a header, then one row per capture, quoting where needed', async () => {
    const { code, stdout } = await classify(
      '--format',
      'csv',
      files.comma,
      files.corrupt,
      path.join(temp.dir, 'missing.tif'),
    );
    expect(code).toBe(1);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe(
      'file,status,class,probability,p(dim),p(bright),analysis,cells,fraction(dim),fraction(bright),mean_probability,' +
        'in_scope,scope_score,scope_threshold,scope_method,scope_reason,uncertain,' +
        'provider,model_id,model_version,model_sha256,width,height,bit_depth,sha256,error',
    );
    expect(lines).toHaveLength(4);
    const ok = lines.find((l) => l.includes('field 2'))!;
    expect(ok.startsWith(`"${files.comma}",ok,bright,0.7685`)).toBe(true);
    expect(ok).toContain(`,one-cell,,,,,1,,,none,,0,cpu,test-linear-mean,1.0.0,${modelSha},8,8,8,`);
    const missing = lines.find((l) => l.includes('missing.tif'))!;
    expect(missing).toMatch(/,failed,(,)+test-linear-mean,.*No such file or folder\.$/);
    expect(lines.find((l) => l.includes('corrupt.jpg'))).toMatch(/,failed,.*not an image/);
  });

  it('--format table, every capture classified: a row each, exit code 0, and which model ran where on stderr', async () => {
    const { code, stdout, stderr } = await classify('--batch', '1', files.dim, files.bright);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^file\s+status\s+class\s+probability\s+cells\s+scope\s+size\s+provider\s+error$/);
    // No error: a dash in the last column.
    expect(lines).toContainEqual(
      expect.stringMatching(/dim\.png\s+ok\s+dim\s+76\.9%\s+one cell\s+in scope\s+10×6 8-bit\s+cpu\s+–$/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/bright\.tif\s+ok\s+bright\s+76\.9%\s+one cell\s+in scope\s+16×16 16-bit\s+cpu\s+–$/),
    );
    expect(stderr).toContain('Model Test model (mean brightness) 1.0.0 on CPU');
  });

  it('--format table: control characters in a file name show as escapes, and an error keeps its first words', async () => {
    const odd = path.join(temp.dir, 'odd names');
    mkdirSync(odd);
    // A name that, printed raw, would clear the screen and forge a second row.
    const name = '\x1b[2J\rforged\nrow.png';
    const oddFile = writeCapture(
      odd,
      name,
      await encode(
        greyImage(8, 8, 8, () => 204),
        'png',
      ),
    );
    const [table, json] = await Promise.all([
      classify(oddFile, files.corrupt),
      classify('--format', 'json', oddFile),
    ]);
    expect(table.code).toBe(1);
    // eslint-disable-next-line no-control-regex -- finding control characters is the point
    expect(table.stdout).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
    const lines = table.stdout.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines).toContainEqual(expect.stringMatching(/\\x1b\[2J\\rforged\\nrow\.png\s+ok\s+bright/));
    expect(lines).toContainEqual(
      expect.stringMatching(
        /corrupt\.jpg\s+failed\s.*\s{2}This file is not an image MetaScope knows \(TIFF, PNG, JPEG or WebP\): .*…$/,
      ),
    );
    expect(jsonLines(json.stdout)[0]).toMatchObject({ file: oddFile, status: 'ok' });
  }, 120_000);

  it.each([
    ['no paths', [], /missing required argument 'paths'/],
    ['--batch 0', ['--batch', '0', 'x.tif'], /--batch must be a whole number of at least 1/],
  ])('usage error (%s): exit code 2, nothing on stdout', async (_what, args, message) => {
    const { code, stdout, stderr } = await metascope('classify', ...args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
  });

  it('--format table shows no class for a capture out of the model’s scope; JSON keeps what the model said', async () => {
    const scoped = path.join(temp.dir, 'scoped');
    await writeScopedModel(scoped); // trained on 8-bit images: the 16-bit capture is out of scope
    const run = (format: string) =>
      metascope('classify', '--model', scoped, '--provider', 'cpu', '--format', format, files.bright);
    const table = (await run('table')).stdout.trim().split('\n');
    expect(table[2]).toMatch(/bright\.tif\s+ok\s+–\s+–\s+one cell\s+OUT: This is a 16-bit image/);
    const [json] = jsonLines((await run('json')).stdout);
    expect(json).toMatchObject({ inScope: false, class: 'bright' });
  });

  it('a folder without captures is a usage error', async () => {
    const empty = path.join(temp.dir, 'empty');
    mkdirSync(empty);
    const { code, stderr } = await classify(empty);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^metascope: No captures found in .*add --recursive for subfolders/);
  });

  it('an unusable model is exit code 2: a folder that does not exist', async () => {
    const nowhere = path.join(temp.dir, 'no-model');
    const { code, stdout, stderr } = await metascope('classify', '--model', nowhere, files.dim);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`metascope: The model folder ${nowhere} does not exist.\n`);
  });

  it('an unusable model is exit code 2: an ONNX file that fails its SHA-256', async () => {
    const tampered = path.join(temp.dir, 'tampered');
    await writeModelFolder(tampered);
    const onnx = path.join(tampered, 'model.onnx');
    writeFileSync(onnx, Buffer.concat([readFileSync(onnx), Buffer.from([0])]));
    const { code, stdout, stderr } = await metascope('classify', '--model', tampered, files.dim);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(
      /^metascope: The model file .*model\.onnx is not the one its model\.json describes/,
    );
  });
});

describe('metascope classify, whole fields', () => {
  const fieldModel = path.join(temp.dir, 'model-32');
  const detector = path.join(temp.dir, 'detector');
  let field = '';

  beforeAll(async () => {
    // A 32×32 window: the mean-brightness model calls a window filled by a large disc bright.
    await writeModelFolder(fieldModel, { channels: 1, height: 32, width: 32, weights: [[8]], bias: [-3] }, {
      preprocessing: { intensity: { mode: 'percentile', low: 0, high: 100 } },
    });
    await writeDetectorFolder(detector);
    const discs = [
      { x: 40, y: 40, radius: 12 },
      { x: 120, y: 60, radius: 12 },
      { x: 70, y: 140, radius: 5 },
    ];
    field = writeCapture(temp.dir, 'field.tif', await discField(200, 180, discs));
  });

  const classifyField = (...args: string[]) =>
    metascope('classify', '--model', fieldModel, '--detector', detector, '--provider', 'cpu', '--threads', '1', ...args, field);

  it('--format json adds the cells and the summary, and says which analysis ran', async () => {
    const { code, stdout, stderr } = await classifyField('--format', 'json');
    expect(code, stderr).toBe(0);
    const [row] = jsonLines(stdout);
    expect(row).toMatchObject({
      analysis: 'find-cells',
      class: 'bright',
      summary: { cells: 3, counts: { bright: 2, dim: 1 } },
    });
    expect(row!.cells).toHaveLength(3);
    expect((row!.cells as { class: string; edge: boolean }[])[0]).toMatchObject({ class: expect.any(String), edge: false });
    expect(stderr).toContain('Cell finder Test cell finder (bright discs) 1.0.0 on CPU');
  });

  it('--cells --format csv gives one row per cell; --analysis one-cell classifies the field whole', async () => {
    const cells = await classifyField('--format', 'csv', '--cells');
    expect(cells.code, cells.stderr).toBe(0);
    const lines = cells.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^file,sha256,cell,x,y,box_x,/);
    expect(lines).toHaveLength(4);
    const whole = await classifyField('--format', 'json', '--analysis', 'one-cell');
    expect(jsonLines(whole.stdout)[0]).toMatchObject({ analysis: 'one-cell', summary: null });
  });
});
