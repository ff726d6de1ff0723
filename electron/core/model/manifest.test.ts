import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../capture/testing/images.js';
import { ModelError, type ModelErrorCode } from './errors.js';
import { loadModelFolder, parseManifest } from './manifest.js';
import { writeModelFolder } from './testing/model-folder.js';

const temp = makeTempDir();
afterAll(temp.remove);
let folders = 0;

type Edits = Record<string, unknown>;

/**
 * A real model folder whose model.json has some fields changed: keys are dotted paths
 * ("input.layout"), an undefined value removes the field.
 */
async function folderWith(edits: Edits = {}): Promise<string> {
  const folder = path.join(temp.dir, `model-${folders++}`);
  await writeModelFolder(folder);
  const file = path.join(folder, 'model.json');
  const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  for (const [dotted, value] of Object.entries(edits)) {
    const keys = dotted.split('.');
    const last = keys.pop()!;
    const parent = keys.reduce((node, key) => node[key] as Record<string, unknown>, json);
    if (value === undefined) delete parent[last];
    else parent[last] = value;
  }
  writeFileSync(file, JSON.stringify(json));
  return folder;
}

async function refusal(folder: string, code: ModelErrorCode): Promise<string> {
  const error = await loadModelFolder(folder).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelError);
  expect((error as ModelError).code).toBe(code);
  return (error as ModelError).message;
}

describe('loadModelFolder', () => {
  it('loads a valid folder, with the ONNX bytes matching the manifest’s SHA-256', async () => {
    const folder = await folderWith();
    const model = await loadModelFolder(folder);
    expect(model.onnxPath).toBe(path.join(folder, 'model.onnx'));
    expect(createHash('sha256').update(model.onnxBytes).digest('hex')).toBe(model.manifest.onnx.sha256);
    expect(model.manifest.input).toMatchObject({
      name: 'image',
      layout: 'NCHW',
      width: 8,
      height: 8,
      channels: 1,
    });
  });

  it('fills in the defaults a manifest may leave out', async () => {
    const folder = await folderWith({
      description: undefined,
      threshold: undefined,
      'preprocessing.page': undefined,
      'preprocessing.grayToRgb': undefined,
    });
    const { manifest } = await loadModelFolder(folder);
    expect(manifest.description).toBe('');
    expect(manifest.threshold).toBe(0.5);
    expect(manifest.preprocessing.page).toBe(0);
    expect(manifest.preprocessing.grayToRgb).toBe(true);
  });

  it.each<[string, Edits, string]>([
    ['a missing field', { 'input.name': undefined }, 'input.name'],
    ['a layout that is not NCHW or NHWC', { 'input.layout': 'CHW' }, 'input.layout'],
    ['an unknown resize mode', { 'preprocessing.resize': 'squash' }, 'preprocessing.resize'],
    ['an unknown activation', { 'output.activation': 'relu' }, 'output.activation'],
    ['a SHA-256 that is not 64 hex digits', { 'onnx.sha256': 'abc' }, 'onnx.sha256'],
    ['an upper-case id', { id: 'My Model' }, 'id'],
    ['a single class', { classes: ['only'] }, 'classes'],
    ['a threshold of 1', { threshold: 1 }, 'threshold'],
    [
      'a fixed window with max below min',
      { 'preprocessing.intensity': { mode: 'fixed', min: 10, max: 5 } },
      'preprocessing.intensity.max',
    ],
    ['a negative std', { 'preprocessing.std': [-1] }, 'preprocessing.std.0'],
  ])('names the bad field for %s', async (_what, edits, field) => {
    const message = await refusal(await folderWith(edits), 'manifest-invalid');
    expect(message).toContain(`field "${field}"`);
    expect(message).toContain('model.json');
  });

  it('refuses a mean with neither 1 nor one value per channel', async () => {
    const folder = await folderWith({
      'input.channels': 3,
      'preprocessing.mean': [0.5, 0.5],
      'preprocessing.std': [0.25, 0.25, 0.25],
    });
    expect(await refusal(folder, 'manifest-invalid')).toMatch(
      /field "preprocessing\.mean" needs 1 or 3 values .*not 2/,
    );
  });

  it('refuses duplicate class names', async () => {
    const message = await refusal(await folderWith({ classes: ['cell', 'cell'] }), 'manifest-invalid');
    expect(message).toContain('field "classes" class names must be unique');
  });

  it('refuses invalid JSON', async () => {
    const folder = await folderWith();
    writeFileSync(path.join(folder, 'model.json'), '{ "id": "x", ');
    expect(await refusal(folder, 'manifest-invalid')).toMatch(/model\.json is not valid JSON/);
  });

  it('refuses a folder without model.json, and one that does not exist', async () => {
    const folder = await folderWith();
    rmSync(path.join(folder, 'model.json'));
    expect(await refusal(folder, 'model-missing')).toBe(
      `The folder ${folder} is not a model: it has no model.json.`,
    );
    const nowhere = path.join(temp.dir, 'nowhere');
    expect(await refusal(nowhere, 'model-missing')).toBe(`The model folder ${nowhere} does not exist.`);
  });

  it('refuses a missing ONNX file, naming it', async () => {
    const folder = await folderWith({ 'onnx.file': 'weights.onnx' });
    expect(await refusal(folder, 'model-missing')).toContain(path.join(folder, 'weights.onnx'));
  });

  it('refuses an ONNX file that is not the one the manifest’s SHA-256 describes', async () => {
    const folder = await folderWith();
    const onnx = path.join(folder, 'model.onnx');
    const bytes = readFileSync(onnx);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0xff, bytes.length - 1); // one flipped byte (a bias value)
    writeFileSync(onnx, bytes);
    const actual = createHash('sha256').update(bytes).digest('hex');
    const message = await refusal(folder, 'onnx-checksum');
    expect(message).toContain(actual.slice(0, 12));
    expect(message).toMatch(/changed or damaged/);
  });
});

describe('parseManifest', () => {
  it('reports a non-object at the top level', () => {
    expect(() => parseManifest(42, 'in test')).toThrow(
      /The model description in test is not valid: field "\(top level\)"/,
    );
  });
});
