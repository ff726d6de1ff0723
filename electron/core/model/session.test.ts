import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../capture/testing/images.js';
import { ModelError } from './errors.js';
import { loadModelFolder, type ModelFolder } from './manifest.js';
import { openSession } from './session.js';
import { tinyModelSpec, writeModelFolder, type ManifestChanges } from './testing/model-folder.js';
import type { LinearModelSpec } from './testing/onnx-writer.js';

const temp = makeTempDir();
afterAll(temp.remove);
let folders = 0;

async function model(
  spec: LinearModelSpec = tinyModelSpec,
  changes: ManifestChanges = {},
): Promise<ModelFolder> {
  const folder = path.join(temp.dir, `model-${folders++}`);
  await writeModelFolder(folder, spec, changes);
  return loadModelFolder(folder);
}

async function openError(
  folder: ModelFolder,
  options: Parameters<typeof openSession>[1],
): Promise<ModelError> {
  const error = await openSession(folder, options).then(
    async (opened) => {
      await opened.session.release();
      return null;
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelError);
  return error as ModelError;
}

describe('openSession', () => {
  it('runs on the CPU when asked, and describes the graph', async () => {
    const opened = await openSession(await model(), { provider: 'cpu', threads: 1 });
    try {
      expect(opened).toMatchObject({
        provider: 'cpu',
        skipped: [],
        maxBatch: Number.POSITIVE_INFINITY,
        outputsPerCapture: 1,
      });
      expect(opened.session.inputNames).toEqual(['image']);
    } finally {
      await opened.session.release();
    }
  });

  it('reports a batch axis fixed at 1 and the values per capture of a 3-class output', async () => {
    const spec = { ...tinyModelSpec, weights: [[1, 2, 3]], bias: [0, 0, 0], fixedBatch: true };
    const opened = await openSession(await model(spec), { provider: 'cpu', threads: 1 });
    try {
      expect(opened).toMatchObject({ maxBatch: 1, outputsPerCapture: 3 });
    } finally {
      await opened.session.release();
    }
  });

  it('auto: skips a GPU provider that fails to start, keeps its reason, and runs on the CPU', async (context) => {
    // No hardware check: WebGPU really is started and really fails on a machine without a GPU.
    const opened = await openSession(await model(), {
      provider: 'auto',
      order: ['webgpu', 'cpu'],
      checkHardware: false,
      threads: 1,
    });
    try {
      if (opened.provider === 'webgpu') {
        context.skip(
          'WebGPU started on this machine (it has a usable GPU), so the fallback cannot be observed here',
        );
      }
      expect(opened.provider).toBe('cpu');
      expect(opened.skipped).toHaveLength(1);
      expect(opened.skipped[0]!.provider).toBe('webgpu');
      expect(opened.skipped[0]!.reason).toMatch(/\w+.*\./);
    } finally {
      await opened.session.release();
    }
  });

  it('a provider chosen by name that cannot start is an error, not a silent CPU run', async (context) => {
    const result = await openSession(await model(), { provider: 'cuda', threads: 1 }).then(
      async (opened) => {
        await opened.session.release();
        return opened.provider;
      },
      (error: unknown) => error,
    );
    if (typeof result === 'string') {
      expect(result).toBe('cuda'); // never 'cpu'
      context.skip('CUDA started on this machine, so its failure cannot be observed here');
    }
    expect(result).toBeInstanceOf(ModelError);
    expect((result as ModelError).code).toBe('provider-failed');
    expect((result as ModelError).message).toMatch(
      /^NVIDIA GPU \(CUDA\) was chosen but cannot run the model\. /,
    );
  });

  it('a provider that does not exist on this platform, chosen by name, is an error', async () => {
    const error = await openError(await model(), {
      provider: process.platform === 'win32' ? 'coreml' : 'dml',
    });
    expect(error.code).toBe('provider-failed');
    expect(error.message).toMatch(/is not available on this platform/);
  });

  it('auto: when no provider in the order starts, says why for each', async () => {
    const unavailable = process.platform === 'win32' ? 'coreml' : 'dml';
    const error = await openError(await model(), {
      provider: 'auto',
      order: [unavailable],
      checkHardware: false,
    });
    expect(error.code).toBe('session-failed');
    expect(error.message).toMatch(/could not be loaded on any processor: .*not available on this platform/);
  });

  it.each(['cpu', 'auto'] as const)(
    'a graph that does not match model.json is the model’s fault, not the provider’s (%s)',
    async (provider) => {
      const renamed = await openError(await model(tinyModelSpec, { input: { name: 'pixels' } }), {
        provider,
        threads: 1,
      });
      expect(renamed.code).toBe('manifest-invalid');
      expect(renamed.message).toBe(
        'model.json names the input "pixels", but the ONNX model\'s inputs are: image.',
      );

      const resized = await openError(await model(tinyModelSpec, { input: { width: 16 } }), {
        provider,
        threads: 1,
      });
      expect(resized.code).toBe('manifest-invalid');
      expect(resized.message).toMatch(/describes the input as NCHW 1×8×16, but the ONNX model expects 1×8×8/);

      const output = await openError(await model(tinyModelSpec, { output: { name: 'score' } }), {
        provider,
        threads: 1,
      });
      expect(output.code).toBe('manifest-invalid');
      expect(output.message).toMatch(/names the output "score", but the ONNX model's outputs are: logit/);
    },
  );
});
