import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ModelManifest } from '../manifest.js';
import { linearMeanModel, type LinearModelSpec } from './onnx-writer.js';

export type ManifestChanges = Partial<Omit<ModelManifest, 'input' | 'preprocessing' | 'output' | 'onnx'>> & {
  input?: Partial<ModelManifest['input']>;
  preprocessing?: Partial<ModelManifest['preprocessing']>;
  output?: Partial<ModelManifest['output']>;
};

/** A one-logit model over a 1-channel 8×8 input: logit = 4 · (mean of the input) − 2. */
export const tinyModelSpec: LinearModelSpec = { channels: 1, height: 8, width: 8, weights: [[4]], bias: [-2] };

/** Writes model.onnx and a matching model.json (real SHA-256) into `folder`, for tests and demos. */
export async function writeModelFolder(
  folder: string,
  spec: LinearModelSpec = tinyModelSpec,
  changes: ManifestChanges = {},
): Promise<ModelManifest> {
  const onnx = linearMeanModel(spec);
  await mkdir(folder, { recursive: true });
  await writeFile(path.join(folder, 'model.onnx'), onnx);
  const outputs = spec.bias.length;
  const manifest: ModelManifest = {
    kind: 'classifier',
    id: 'test-linear-mean',
    name: 'Test model (mean brightness)',
    version: '1.0.0',
    description: 'Classifies by mean brightness; for tests only.',
    threshold: 0.5,
    classes: outputs === 1 ? ['dim', 'bright'] : Array.from({ length: outputs }, (_, i) => `class-${i}`),
    ...changes,
    pixelSizeUm: changes.pixelSizeUm ?? null,
    onnx: { file: 'model.onnx', sha256: createHash('sha256').update(onnx).digest('hex') },
    input: {
      name: spec.inputName ?? 'image',
      layout: spec.layout ?? 'NCHW',
      width: spec.width,
      height: spec.height,
      channels: spec.channels as 1 | 3,
      dtype: 'float32',
      ...changes.input,
    },
    preprocessing: {
      page: 0,
      resize: 'stretch',
      intensity: { mode: 'bit-depth' },
      mean: [0],
      std: [1],
      grayToRgb: true,
      ...changes.preprocessing,
    },
    output: { name: spec.outputName ?? 'logit', activation: outputs === 1 ? 'sigmoid' : 'softmax', ...changes.output },
  };
  await writeFile(path.join(folder, 'model.json'), JSON.stringify(manifest, null, 2));
  return manifest;
}
