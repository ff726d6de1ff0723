import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { loadModelFolder } from '../electron/core/model/manifest.js';

// The generated models are git-ignored and built on demand (/usr/bin/python3 bench/models/generate.py):
// these checks run only where they exist.
const here = path.dirname(fileURLToPath(import.meta.url));

describe.each(['resnet50', 'efficientnet-b0'])('bench model %s', (id) => {
  const folder = path.join(here, 'models', id);
  const present = existsSync(path.join(folder, 'model.json'));

  it.skipIf(!present)(
    'has a valid manifest whose SHA-256 matches the ONNX file, and runs a batch in ONNX Runtime',
    async () => {
      const { manifest, onnxBytes } = await loadModelFolder(folder);
      expect(manifest).toMatchObject({
        id,
        input: { name: 'image', layout: 'NCHW', width: 224, height: 224, channels: 3, dtype: 'float32' },
        preprocessing: { resize: 'stretch', intensity: { mode: 'bit-depth' }, grayToRgb: true },
        output: { name: 'logit', activation: 'sigmoid' },
        classes: ['class-0', 'class-1'],
        threshold: 0.5,
      });
      const session = await ort.InferenceSession.create(onnxBytes, { intraOpNumThreads: 1 });
      try {
        expect(session.inputNames).toEqual(['image']);
        expect(session.outputNames).toEqual(['logit']);
        const n = 2; // the batch axis is dynamic
        const input = new ort.Tensor('float32', new Float32Array(n * 3 * 224 * 224).fill(0.1), [n, 3, 224, 224]);
        const out = await session.run({ image: input });
        expect(out.logit?.dims).toEqual([n, 1]);
        for (const v of out.logit?.data as Float32Array) expect(Number.isFinite(v)).toBe(true);
      } finally {
        await session.release();
      }
    },
    120_000,
  );
});
