import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeFixtures } from '../fixtures.js';
import type { EndToEndRequest } from './end-to-end-child.js';
import { runEndToEnd } from './end-to-end.js';
import { decodeSlots } from '../../electron/core/threads.js';
import { writeModelFolder } from '../../electron/core/model/testing/model-folder.js';
import { measureModelOnly, measureModelOnlyAt, threadCounts } from './model-only.js';
import { measureScopeCost } from './scope-cost.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const defaultModel = path.join(root, 'models', 'default');

describe('threadCounts', () => {
  it('tries one, two, half and all of the cores, each once', () => {
    expect(threadCounts(1)).toEqual([1]);
    expect(threadCounts(2)).toEqual([1, 2]);
    expect(threadCounts(16)).toEqual([1, 2, 8, 16]);
  });
});

describe('measureModelOnly', () => {
  it('reports the best batch and thread count, and the batch-1 time, of the real default model', async () => {
    const result = await measureModelOnly(defaultModel, 0.05, 'cpu');
    expect(result.rate).toBeGreaterThan(0);
    expect([1, 8, 16]).toContain(result.batch);
    expect(threadCounts()).toContain(result.threads);
    expect(result.singleMs).toBeGreaterThan(0);
    expect(result.singleMs).toBeLessThan(1000);
  }, 60_000);

  it('measures one chosen batch size and thread count again, with the CPU it took', async () => {
    const { rate, cpuMsPerImage } = await measureModelOnlyAt(defaultModel, { batch: 8, threads: 1 }, 0.2, 'cpu');
    expect(Number.isFinite(rate) && rate > 0).toBe(true);
    // One intra-op thread keeps about one core busy: CPU time, not wall time, and not zero.
    const coresBusy = (rate * cpuMsPerImage) / 1000;
    expect(coresBusy).toBeGreaterThan(0.5);
    expect(coresBusy).toBeLessThan(1.5);
  }, 60_000);

  // `cuda` needs an NVIDIA GPU and libraries that `npm install` does not fetch (onnxruntime-node-install=skip).
  it.skipIf(existsSync('/dev/nvidiactl'))('says why when the chosen provider cannot run here', async () => {
    await expect(measureModelOnly(defaultModel, 0.05, 'cuda')).rejects.toThrow(/NVIDIA GPU|CUDA/);
  }, 60_000);
});

describe('end-to-end run', () => {
  let work: string;
  let files: string[];
  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'metascope-e2e-measure-'));
    files = (await makeFixtures(path.join(work, 'files'), { kind: 'crop224', count: 4 })).map((f) => f.path);
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  it('moves every file into the watched folder, classifies it through the real intake and says where its results say the model ran', async () => {
    const request: EndToEndRequest = {
      mode: 'throughput',
      model: defaultModel,
      provider: 'cpu',
      files,
      workDir: path.join(work, 'run'),
      settleMs: 100,
      batchSize: 8,
      decodeConcurrency: 2,
    };
    const result = runEndToEnd(request);
    expect(result).toMatchObject({ failed: 0, ranOn: ['cpu'] });
    expect(result.latencies).toHaveLength(files.length);
    expect(result.rate).toBeGreaterThan(0);
    expect(result.rate).toBeGreaterThanOrEqual(result.rateIncludingFill);
    expect(result.peakRssMb).toBeGreaterThan(0);
    expect(result.cpuMsPerCapture).toBeGreaterThan(0);
    expect(await readdir(path.join(work, 'run', 'staging'))).toEqual([]);
    expect((await readdir(path.join(work, 'run', 'watched'))).sort()).toEqual(files.map((f) => path.basename(f)).sort());
  }, 60_000);
});

describe('npm run bench', () => {
  const report = (env: NodeJS.ProcessEnv) => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'bench', 'run.ts'), '--json', '--parts', 'none'], {
      encoding: 'utf8',
      cwd: root,
      env,
    });
    expect(run.status, run.stderr).toBe(0);
    return JSON.parse(run.stdout) as { machine: string };
  };
  const { UV_THREADPOOL_SIZE: _, ...unset } = process.env;

  it('decodes with the thread pool the app gives its engine, or the one the user chose', () => {
    expect(report(unset).machine).toMatch(new RegExp(`thread pool ${decodeSlots()}$`));
    expect(report({ ...unset, UV_THREADPOOL_SIZE: '3' }).machine).toMatch(/thread pool 3$/);
  }, 120_000);
});

describe('measureScopeCost', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'metascope-scope-cost-'));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('measures each part of the default model’s scope check on real captures, and nothing for a model without scope', async () => {
    const files = (await makeFixtures(work, { kind: 'crop224', count: 4 })).map((f) => f.path);
    const cost = await measureScopeCost(defaultModel, files, 0.2);
    expect(cost).not.toBeNull();
    const { inputChecksMs, distanceMs, featuresOutputMs, totalMs } = cost!;
    for (const part of [inputChecksMs, distanceMs]) expect(part).toBeGreaterThan(0);
    expect(featuresOutputMs).toBeGreaterThanOrEqual(0);
    expect(totalMs).toBeCloseTo(inputChecksMs + distanceMs + featuresOutputMs, 9);

    const plain = path.join(work, 'plain');
    await writeModelFolder(plain);
    expect(await measureScopeCost(plain, files, 0.2)).toBeNull();
  }, 60_000);
});
