import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { encode, foreignHeaders, greyImage, makeTempDir, writeCapture } from '../capture/testing/images.js';
import { readCaptureInfo } from '../capture/decode.js';
import { Analysis } from '../cells/analysis.js';
import { Classifier } from '../model/classifier.js';
import { writeModelFolder } from '../model/testing/model-folder.js';
import { Pipeline, type CaptureJob, type Outcome, type PipelineOptions } from './pipeline.js';

const temp = makeTempDir();
let classifier: Classifier;
/** Grey captures whose brightness decides the tiny model: level 204 → 0.8 → bright, 51 → 0.2 → dim. */
const good: Array<{ path: string; expected: 'bright' | 'dim' }> = [];
const bad: Array<{ path: string; code: string; reason: RegExp }> = [];

beforeAll(async () => {
  await writeModelFolder(path.join(temp.dir, 'model'));
  classifier = await Classifier.open(path.join(temp.dir, 'model'), { provider: 'cpu', threads: 1 });
  for (let i = 0; i < 7; i++) {
    const level = i % 2 === 0 ? 204 : 51;
    const name = `good-${i}.${i % 3 === 0 ? 'tif' : 'png'}`;
    good.push({
      path: writeCapture(
        temp.dir,
        name,
        await encode(
          greyImage(16, 12, 8, () => level),
          i % 3 === 0 ? 'tiff' : 'png',
        ),
      ),
      expected: level === 204 ? 'bright' : 'dim',
    });
  }
  const png = await encode(
    greyImage(64, 64, 8, (x, y) => (x * y) % 256),
    'png',
  );
  bad.push(
    { path: writeCapture(temp.dir, 'empty.tif', new Uint8Array(0)), code: 'empty', reason: /empty/ },
    {
      path: writeCapture(temp.dir, 'cut.png', png.subarray(0, png.length >> 1)),
      code: 'corrupt',
      reason: /PNG .* damaged/,
    },
    {
      path: writeCapture(temp.dir, 'stack.czi', foreignHeaders['Zeiss CZI']),
      code: 'unsupported-format',
      reason: /Zeiss CZI/,
    },
    {
      path: writeCapture(temp.dir, 'notes.txt', 'not a capture'),
      code: 'not-an-image',
      reason: /not an image/,
    },
    { path: path.join(temp.dir, 'moved-away.tif'), code: 'unreadable', reason: /moved or deleted/ },
    { path: temp.dir, code: 'unreadable', reason: /folder, not a file/ },
  );
});

afterAll(async () => {
  await classifier.close();
  temp.remove();
});

/** A pipeline that collects its outcomes. */
function collecting(options: Partial<PipelineOptions> = {}) {
  const outcomes: Outcome[] = [];
  const pipeline = new Pipeline({ analysis: new Analysis(classifier, null), onOutcomes: (o) => void outcomes.push(...o), ...options });
  return { pipeline, outcomes };
}

const jobsFor = (entries: Array<{ path: string }>): CaptureJob[] => entries.map((e) => ({ path: e.path }));
/** Good and bad captures interleaved, so failures happen between batches and inside them. */
const mixed = () => jobsFor([...good, ...bad].sort((a, b) => a.path.localeCompare(b.path)));

describe('Pipeline', () => {
  it('gives every capture exactly one outcome: corrupt ones with a reason, the others classified', async () => {
    const { pipeline, outcomes } = collecting({ batchSize: 3, decodeConcurrency: 2 });
    const jobs = mixed();
    pipeline.push(...jobs);
    await pipeline.idle();

    expect(outcomes.map((o) => o.job.path).sort()).toEqual(jobs.map((j) => j.path).sort());
    for (const capture of good) {
      const outcome = outcomes.find((o) => o.job.path === capture.path)!;
      expect(outcome.status).toBe('ok');
      if (outcome.status !== 'ok') continue;
      expect(outcome.analysed.prediction.class).toBe(capture.expected);
      expect(outcome.info).toMatchObject({ width: 16, height: 12, bitDepth: 8 });
      expect(outcome.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(outcome.window).toEqual({ low: 0, high: 255 });
    }
    for (const capture of bad) {
      const outcome = outcomes.find((o) => o.job.path === capture.path)!;
      expect(outcome).toMatchObject({ status: 'failed', code: capture.code });
      if (outcome.status === 'failed') expect(outcome.reason).toMatch(capture.reason);
    }
    expect(pipeline.progress()).toMatchObject({
      queued: 0,
      inFlight: 0,
      done: good.length,
      failed: bad.length,
      etaSeconds: 0,
    });
  });

  it('keeps a known SHA-256 and hashes the rest', async () => {
    const { pipeline, outcomes } = collecting();
    pipeline.push({ path: good[0]!.path, sha256: 'a'.repeat(64) }, { path: good[1]!.path });
    await pipeline.idle();
    const byPath = new Map(outcomes.map((o) => [o.job.path, o.sha256]));
    expect(byPath.get(good[0]!.path)).toBe('a'.repeat(64));
    expect(byPath.get(good[1]!.path)).toBe(createHash('sha256').update(readFileSync(good[1]!.path)).digest('hex'));
  });

  it('uses a capture the intake has already read instead of reading the file again', async () => {
    const bytes = await encode(greyImage(16, 12, 8, () => 204), 'png');
    const info = await readCaptureInfo(bytes);
    const { pipeline, outcomes } = collecting();
    // The path no longer exists: only the read handed over can have been classified.
    pipeline.push({ path: path.join(temp.dir, 'already-read.png'), sha256: 'b'.repeat(64), read: { bytes, info } });
    await pipeline.idle();
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ status: 'ok', sha256: 'b'.repeat(64), analysed: { prediction: { class: 'bright' } } });
    expect(outcomes[0]!.job.read).toBeUndefined(); // the content is not carried along with the result
  });

  it('runs the model in batches no larger than batchSize', async () => {
    const run = vi.spyOn(classifier, 'run');
    try {
      const { pipeline, outcomes } = collecting({ batchSize: 2, decodeConcurrency: 4 });
      pipeline.push(...jobsFor(good));
      await pipeline.idle();
      const sizes = run.mock.calls.map(([tensors]) => tensors.length);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(2);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(good.length);
      expect(outcomes.filter((o) => o.status === 'ok')).toHaveLength(good.length);
    } finally {
      run.mockRestore();
    }
  });

  it('fills a batch with the captures decoding together, and runs a lone capture at once', async () => {
    const run = vi.spyOn(classifier, 'run');
    try {
      const { pipeline, outcomes } = collecting({ batchSize: 8, decodeConcurrency: 4 });
      pipeline.push(...jobsFor(good.slice(0, 4)));
      await pipeline.idle();
      // All four were decoding at once: one run, not one per capture as each finished.
      expect(run.mock.calls.map(([tensors]) => tensors.length)).toEqual([4]);

      pipeline.push(...jobsFor(good.slice(4, 5)));
      await pipeline.idle();
      expect(run.mock.calls.map(([tensors]) => tensors.length)).toEqual([4, 1]);
      expect(outcomes.filter((o) => o.status === 'ok')).toHaveLength(5);
    } finally {
      run.mockRestore();
    }
  });

  it('sends the next batch to the model while the last one is being saved, and is idle only once all are saved', async () => {
    const run = vi.spyOn(classifier, 'run');
    try {
      let release!: () => void;
      const firstSaved = new Promise<void>((resolve) => (release = resolve));
      const saved: Outcome[][] = [];
      const pipeline = new Pipeline({
        analysis: new Analysis(classifier, null),
        batchSize: 2,
        decodeConcurrency: 4,
        onOutcomes: async (outcomes) => {
          if (saved.length === 0) {
            saved.push(outcomes);
            await firstSaved;
          } else saved.push(outcomes);
        },
      });
      pipeline.push(...jobsFor(good.slice(0, 4)));
      let idle = false;
      const idleDone = pipeline.idle().then(() => (idle = true));
      await vi.waitFor(() => expect(run.mock.calls.length).toBe(2));
      // The second batch ran and was delivered while the first was still being saved.
      await vi.waitFor(() => expect(saved).toHaveLength(2));
      expect(idle).toBe(false);
      release();
      await idleDone;
      expect(saved.flat().map((o) => o.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
    } finally {
      run.mockRestore();
    }
  });

  it('pause holds the queue, finishing only what was in flight; resume classifies the rest', async () => {
    const { pipeline, outcomes } = collecting({ batchSize: 8, decodeConcurrency: 2 });
    pipeline.push(...jobsFor(good));
    pipeline.pause(); // the first two are already being decoded
    await pipeline.idle();
    expect(outcomes).toHaveLength(2);
    expect(pipeline.progress()).toMatchObject({ paused: true, queued: good.length - 2, inFlight: 0 });

    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(outcomes).toHaveLength(2); // nothing moves while paused

    pipeline.resume();
    await pipeline.idle();
    expect(outcomes.map((o) => o.job.path).sort()).toEqual(good.map((g) => g.path).sort());
    expect(pipeline.progress()).toMatchObject({ paused: false, queued: 0, done: good.length });
  });

  it('paused before anything is pushed: idle() resolves at once and nothing is decoded', async () => {
    const { pipeline, outcomes } = collecting();
    pipeline.pause();
    pipeline.push(...jobsFor(good.slice(0, 3)));
    await pipeline.idle();
    expect(outcomes).toEqual([]);
    expect(pipeline.progress().queued).toBe(3);
    pipeline.resume();
    await pipeline.idle();
    expect(outcomes).toHaveLength(3);
  });

  it('idle() resolves at once on an empty pipeline, and again after later pushes', async () => {
    const { pipeline, outcomes } = collecting();
    await pipeline.idle();
    pipeline.push({ path: good[0]!.path });
    await pipeline.idle();
    pipeline.push({ path: bad[0]!.path }, { path: good[1]!.path });
    await pipeline.idle();
    expect(outcomes.map((o) => o.status)).toHaveLength(3);
  });

  it('reports progress as captures finish', async () => {
    const progress = vi.fn();
    const { pipeline } = collecting({ onProgress: progress });
    pipeline.push(...jobsFor(good.slice(0, 3)), ...jobsFor(bad.slice(0, 1)));
    await pipeline.idle();
    const last = progress.mock.calls.at(-1)![0];
    expect(last).toMatchObject({ done: 3, failed: 1, queued: 0, inFlight: 0 });
  });

  it('a model that fails gives each capture of the batch one failed outcome, with the reason', async () => {
    const folder = path.join(temp.dir, 'closed-model');
    await writeModelFolder(folder);
    const closed = await Classifier.open(folder, { provider: 'cpu', threads: 1 });
    await closed.close(); // a released session cannot run
    const { pipeline, outcomes } = collecting({ analysis: new Analysis(closed, null), batchSize: 4 });
    pipeline.push(...jobsFor(good.slice(0, 3)));
    await pipeline.idle();
    expect(outcomes).toHaveLength(3);
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ status: 'failed', code: 'model-failed' });
      if (outcome.status === 'failed')
        expect(outcome.reason).toMatch(/^The model could not classify this capture: /);
    }
  });

  it('a capture deleted after it was queued fails as unreadable', async () => {
    const file = writeCapture(
      temp.dir,
      'short-lived.png',
      await encode(
        greyImage(4, 4, 8, () => 9),
        'png',
      ),
    );
    const { pipeline, outcomes } = collecting();
    pipeline.pause();
    pipeline.push({ path: file });
    rmSync(file);
    pipeline.resume();
    await pipeline.idle();
    expect(outcomes).toMatchObject([{ status: 'failed', code: 'unreadable', sha256: null, info: null }]);
  });
});
