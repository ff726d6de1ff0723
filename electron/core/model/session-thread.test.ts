import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../capture/testing/images.js';
import { ModelError } from './errors.js';
import { loadModelFolder } from './manifest.js';
import { openSessionThread } from './session-thread.js';
import { tinyModelSpec, writeModelFolder } from './testing/model-folder.js';

const temp = makeTempDir();
afterAll(temp.remove);
let folders = 0;

async function tinyModel(changes: Parameters<typeof writeModelFolder>[2] = {}): Promise<string> {
  const folder = path.join(temp.dir, `model-${folders++}`);
  await writeModelFolder(folder, tinyModelSpec, changes);
  return folder;
}

/** logit = 4 · mean − 2 for the tiny model's 1×8×8 input. */
const batchOf = (...means: number[]) => {
  const batch = new Float32Array(64 * means.length);
  means.forEach((m, i) => batch.fill(m, i * 64, (i + 1) * 64));
  return batch;
};

describe('a model session on its own thread', () => {
  it('describes the loaded model and answers runs asked at once, each with its own values', async () => {
    const thread = await openSessionThread(await loadModelFolder(await tinyModel()), {
      provider: 'cpu',
      threads: 1,
    });
    try {
      expect(thread.provider).toBe('cpu');
      expect(thread.outputsPerCapture).toBe(1);
      const answers = await Promise.all(
        [0, 0.25, 0.5, 0.75, 1].map((m) => thread.run(batchOf(m, 1 - m), [2, 1, 8, 8])),
      );
      answers.forEach(({ values, features }, i) => {
        const m = i * 0.25;
        expect(features).toBeNull();
        expect(Array.from(values)).toEqual([4 * m - 2, 4 * (1 - m) - 2].map((v) => expect.closeTo(v, 5)));
      });
    } finally {
      await thread.release();
    }
  });

  it('a closed model refuses further runs with a sentence', async () => {
    const thread = await openSessionThread(await loadModelFolder(await tinyModel()), {
      provider: 'cpu',
      threads: 1,
    });
    await thread.release();
    await expect(thread.run(batchOf(0.5), [1, 1, 8, 8])).rejects.toThrow('The model was closed.');
    await thread.release(); // twice is harmless
  });

  it('a model that does not match its model.json fails to open with the same ModelError as on one thread', async () => {
    const model = await loadModelFolder(await tinyModel({ input: { name: 'pixels' } }));
    const error = await openSessionThread(model, { provider: 'cpu' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).code).toBe('manifest-invalid');
    expect((error as ModelError).message).toContain('"pixels"');
  });

  it('a model that is never closed does not keep a program from exiting', async () => {
    const folder = await tinyModel();
    const classifier = pathToFileURL(path.join(import.meta.dirname, 'classifier.ts')).href;
    const script = `
      const { Classifier } = await import(${JSON.stringify(classifier)});
      const c = await Classifier.open(${JSON.stringify(folder)}, { provider: 'cpu', threads: 1 });
      const [p] = await c.run([new Float32Array(64).fill(1)]);
      console.log(p.class);`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.signal).toBeNull(); // not killed by the timeout: it ended on its own
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe('bright');
  });
});
