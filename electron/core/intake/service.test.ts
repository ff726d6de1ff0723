import { createHash } from 'node:crypto';
import { renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Analysis } from '../cells/analysis.js';
import type { Classifier } from '../model/classifier.js';
import { wholeCapture } from '../store/captures.js';
import { vanishedReason } from './feed.js';
import { Intake, rescanDelay, type IntakeListener, type IntakeOptions } from './service.js';
import { captureBytes, intakeWorld, sleep, waitFor, type IntakeWorld } from './testing/fixtures.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

let world: IntakeWorld;
let classifier: Classifier;
let running: Intake[];
let heard: { changed: string[]; notices: string[]; foldersChanged: number; onChange?: () => void };

beforeEach(async () => {
  world = intakeWorld();
  classifier = await world.classifier();
  running = [];
  heard = { changed: [], notices: [], foldersChanged: 0 };
});
afterEach(async () => {
  await Promise.all(running.map((intake) => intake.stop()));
  await world.close();
});

function intake(options: Partial<IntakeOptions> = {}): Intake {
  const listener: IntakeListener = {
    captureChanged: (sha) => {
      heard.changed.push(sha);
      heard.onChange?.();
    },
    notice: (level, message) => heard.notices.push(`${level}: ${message}`),
    foldersChanged: () => heard.foldersChanged++,
  };
  // A long rescan: in these tests the watcher's events and the settle timers do the work.
  const made = new Intake({ store: world.store, analysis: new Analysis(classifier, null), appVersion: '9.9.9', settleMs: 80, rescanMs: 60_000, ...options }, listener);
  running.push(made);
  return made;
}

const write = async (name: string, n: number, folder = world.inbox) => {
  const bytes = await captureBytes(n);
  writeFileSync(path.join(folder, name), bytes);
  return sha256(bytes);
};
const counts = () => world.store.captures.counts();

/** A started, paused intake whose folder holds `total` new captures, every one of them queued. */
async function pausedWithQueue(total: number, options: Partial<IntakeOptions>): Promise<Intake> {
  const paused = intake(options);
  paused.pause();
  await paused.start();
  paused.addFolder(world.inbox, false);
  for (let n = 0; n < total; n++) await write(`c${n}.png`, 100 + n);
  await waitFor('all queued', () => counts().queued === total);
  return paused;
}

describe('Intake', () => {
  it('classifies what arrives in a watched folder once per content, with full provenance', async () => {
    const service = intake();
    await service.start();
    service.addFolder(world.inbox, false);
    const a = await write('a.png', 1);
    await write('b.png', 2);
    await write('a copy.png', 1);
    await waitFor('two results', () => counts().done === 2 && counts().discovered === 0);

    expect(world.store.captures.get(a)?.paths.map((p) => path.basename(p)).sort()).toEqual(['a copy.png', 'a.png']);
    const [row] = world.store.history.forCapture(a);
    expect(row).toMatchObject({
      model: { id: 'test-linear-mean', version: '1.0.0', sha256: classifier.identity.sha256 },
      provider: 'cpu',
      appVersion: '9.9.9',
      preprocessing: {
        resize: 'stretch',
        intensity: { mode: 'bit-depth' },
        window: { low: 0, high: 255 },
        input: { width: 8, height: 8, channels: 1, layout: 'NCHW' },
        threshold: 0.5,
      },
    });
    expect(row!.durationMs).toBeGreaterThan(0);
    expect(Object.keys(row!.probabilities)).toEqual(['dim', 'bright']);
    expect(heard.changed).toContain(a);
    expect(service.progress()).toMatchObject({ done: 2, failed: 0, queued: 0, inFlight: 0 });
  });

  it('refuses a folder that does not exist or is a file, in a sentence', async () => {
    const service = intake();
    expect(() => service.addFolder(path.join(world.dir, 'nowhere'), false)).toThrow(/cannot be watched: The folder is not there/);
    expect(() => service.addFolder(world.database, false)).toThrow(/is a file, not a folder/);
    expect(world.store.folders.list()).toEqual([]);
  });

  it('resumes after a crash: interrupted work is queued again, finished work is not redone', async () => {
    const first = intake();
    first.pause();
    await first.start();
    first.addFolder(world.inbox, false);
    const done = await write('done.png', 3);
    const interrupted = await write('interrupted.png', 4);
    await waitFor('both queued', () => counts().queued === 2);
    await first.stop();
    // As a crash leaves it: one finished, one claimed and never finished.
    world.store.captures.claimNext(2);
    world.store.captures.saveOutcomes([fakeResult(done)], []);
    expect(counts()).toMatchObject({ processing: 1, done: 1 });

    const second = intake();
    await second.start();
    await waitFor('the interrupted capture', () => counts().done === 2);
    expect(heard.notices).toContain('info: One capture interrupted last time is queued again.');
    expect(world.store.history.forCapture(done)[0]?.classifiedAt).toBe(1);
    expect(world.store.captures.get(interrupted)).toMatchObject({ state: 'done', attempts: 2 });
  });

  it('stops after the captures in flight, leaving the rest queued for the next start', async () => {
    const total = 30;
    const first = await pausedWithQueue(total, { batchSize: 1, decodeConcurrency: 1 });
    let stopping: Promise<void> | undefined;
    heard.onChange = () => (stopping ??= first.stop());
    first.resume();
    await waitFor('a first result', () => stopping !== undefined);
    await stopping;
    const after = counts();
    expect(after.processing).toBe(0);
    expect(after.done + after.queued).toBe(total);
    expect(after.done).toBeGreaterThan(0);
    expect(after.queued).toBeGreaterThan(0);

    heard.onChange = undefined;
    await intake().start();
    await waitFor('the rest', () => counts().done === total);
    const attempts = world.store.captures.inState('done', { limit: total, offset: 0 }).map((c) => c.attempts);
    expect(Math.max(...attempts)).toBeLessThanOrEqual(2);
  });

  it('a full disk pauses classification with one message; what was saved stays, and a resume once there is room classifies the rest', async () => {
    const total = 40;
    const running = await pausedWithQueue(total, { batchSize: 2, decodeConcurrency: 2 });
    world.fillDisk();
    running.resume();
    const saveErrors = () => heard.notices.filter((n) => n.includes('could not be saved'));
    await waitFor('the full disk', () => saveErrors().length > 0);
    // The batches already at the model finish; their saves fail too, but the message is not repeated.
    await waitFor('the batches in flight', () => running.progress().inFlight === 0);
    expect(saveErrors()).toEqual([expect.stringMatching(/^error: A result could not be saved: .*disk.* is full.* paused and goes on by itself/)]);
    expect(running.progress().paused).toBe(true);
    const saved = counts().done;
    expect(saved).toBeLessThan(total);

    // Resumed while the disk is still full: it fails again, and says so again.
    running.resume();
    await waitFor('the second message', () => saveErrors().length === 2);
    expect(counts().done).toBeGreaterThanOrEqual(saved);

    world.freeDisk();
    running.resume();
    await waitFor('every capture', () => counts().done === total);
    expect(running.progress().paused).toBe(false);
    const done = world.store.captures.inState('done', { limit: total + 1, offset: 0 });
    expect(new Set(done.map((c) => c.sha256)).size).toBe(total);
  });

  it('a full disk: once space is freed, classification goes on by itself and says so, and nothing is classified twice', async () => {
    const total = 20;
    const running = await pausedWithQueue(total, { batchSize: 2, decodeConcurrency: 2, saveRetryMs: 100 });
    world.fillDisk();
    running.resume();
    const saveErrors = () => heard.notices.filter((n) => n.includes('could not be saved'));
    await waitFor('the full disk', () => saveErrors().length > 0);
    // Saving is tried again meanwhile, without a word while the disk stays full.
    await sleep(500);
    expect(saveErrors()).toHaveLength(1);
    expect(running.progress().paused).toBe(true);
    expect(counts().done).toBeLessThan(total);

    world.freeDisk();
    await waitFor('every capture', () => counts().done === total);
    expect(heard.notices).toContain('info: Results can be saved again: classification goes on.');
    expect(running.progress()).toMatchObject({ paused: false, done: total });
    const done = world.store.captures.inState('done', { limit: total + 1, offset: 0 });
    expect(done.map((c) => c.attempts)).toEqual(Array(total).fill(1));
  });

  it('a stop while results wait for room saves them if it now can, and tells of each', async () => {
    const running = await pausedWithQueue(8, { batchSize: 2, decodeConcurrency: 2, saveRetryMs: 60_000 });
    world.fillDisk();
    running.resume();
    await waitFor('the full disk', () => heard.notices.some((n) => n.includes('could not be saved')));
    await waitFor('the batches in flight', () => running.progress().inFlight === 0);
    const doneBefore = counts().done;
    world.freeDisk();
    heard.changed = [];
    await running.stop();
    expect(counts()).toMatchObject({ processing: 0 });
    expect(counts().done).toBeGreaterThan(doneBefore);
    expect(heard.changed).toHaveLength(counts().done - doneBefore);
  });

  it('fails a file over 2 GiB once, with a sentence, hashing it a chunk at a time; later passes leave it be', async () => {
    const service = intake();
    await service.start();
    service.addFolder(world.inbox, false);
    // Sparse: 2 GiB on paper, no blocks on the disk, and never held in memory.
    const tileScan = path.join(world.inbox, 'tile-scan.tif');
    writeFileSync(tileScan, '');
    truncateSync(tileScan, 2 ** 31);
    await waitFor('the refusal', () => counts().failed === 1, 60_000);
    const [failed] = world.store.captures.inState('failed', { limit: 2, offset: 0 });
    expect(failed).toMatchObject({ paths: [tileScan], info: { size: 2 ** 31 } });
    expect(failed!.failureReason).toBe(
      'The file is 2.0 GiB, and MetaScope reads captures of up to 2 GiB: export it in smaller parts (fewer pages or tiles) to classify it.',
    );
    const updatedAt = failed!.updatedAt;
    await service.rescan();
    expect(world.store.captures.get(failed!.sha256)?.updatedAt).toBe(updatedAt);
    expect(heard.notices).toEqual([]);
  }, 90_000);

  it('a check that keeps failing (a full disk) is said once, and once more when it works again, then catches up', async () => {
    const service = intake();
    service.pause();
    await service.start();
    service.addFolder(world.inbox, false);
    world.fillDisk();
    const checks = () => heard.notices.filter((n) => n.includes('Checking the watched folder'));
    // Every file is a check; long names use up the database's last free room.
    let written = 0;
    while (checks().length === 0 && written < 400) {
      await write(`${'plate-7-well-B12-field-'.repeat(8)}${written++}.png`, written);
      await service.rescan();
    }
    for (let n = 0; n < 5; n++) {
      await write(`late-${n}.png`, 1000 + n);
      written++;
      await service.rescan();
    }
    expect(checks()).toEqual([
      expect.stringMatching(/^error: Checking the watched folder .* failed: The disk holding .* is full.* says when it works\.$/),
    ]);

    world.freeDisk();
    await service.rescan();
    expect(checks()).toHaveLength(2);
    expect(checks()[1]).toBe(
      `info: Checking the watched folder ${world.inbox} works again; captures that arrived meanwhile are picked up now.`,
    );
    await waitFor('every file queued', () => counts().queued === written && counts().discovered === 0);
  });

  it('marks a folder that disappears unavailable and catches up when it returns', async () => {
    const service = intake({ rescanMs: 100 });
    await service.start();
    const folder = service.addFolder(world.inbox, false);
    await write('before.png', 5);
    await waitFor('the first result', () => counts().done === 1);
    const away = `${world.inbox}-away`;
    renameSync(world.inbox, away);
    await waitFor('the folder marked unavailable', () => world.store.folders.get(folder.id)?.state === 'unavailable');
    expect(world.store.folders.get(folder.id)?.unavailableReason).toMatch(/network share down/);
    await write('meanwhile.png', 6, away);
    renameSync(away, world.inbox);
    await waitFor('the capture that arrived meanwhile', () => counts().done === 2);
    expect(world.store.folders.get(folder.id)?.state).toBe('available');
    expect(heard.foldersChanged).toBeGreaterThanOrEqual(3);
    expect(heard.notices.filter((n) => n.startsWith('warning'))).toHaveLength(1);
  });

  it('fails a capture whose file vanished before classification, and retries it when the content turns up', async () => {
    const service = intake();
    service.pause();
    await service.start();
    service.addFolder(world.inbox, false);
    const sha = await write('vanishing.png', 7);
    await waitFor('the capture queued', () => counts().queued === 1);
    rmSync(path.join(world.inbox, 'vanishing.png'));
    await service.rescan();
    service.resume();
    await waitFor('the failure', () => world.store.captures.get(sha)?.state === 'failed');
    expect(world.store.captures.get(sha)?.failureReason).toBe(vanishedReason);

    await write('found again.png', 7);
    await waitFor('the result', () => world.store.captures.get(sha)?.state === 'done');
  });

  it('classifies captures queued after a model change with the new model', async () => {
    const service = intake();
    await service.start();
    service.addFolder(world.inbox, false);
    await write('old.png', 8);
    await waitFor('the first result', () => counts().done === 1);
    const next = await world.classifier({ id: 'second-model', version: '2.0.0' });
    service.setAnalysis(new Analysis(next, null));
    const sha = await write('new.png', 9);
    await waitFor('the second result', () => counts().done === 2);
    expect(world.store.history.forCapture(sha)[0]?.model).toMatchObject({ id: 'second-model', version: '2.0.0' });
  });

  it('hands the captures the old model has not started to the new one, and says when the old one can be closed', async () => {
    // A slow old model, so captures pile up behind it.
    const oldRuns: number[] = [];
    const run = classifier.run.bind(classifier);
    classifier.run = async (tensors) => {
      oldRuns.push(Date.now());
      await sleep(150);
      return run(tensors);
    };
    const service = intake({ batchSize: 2, decodeConcurrency: 1 });
    service.pause();
    await service.start();
    service.addFolder(world.inbox, false);
    await Promise.all([20, 21, 22, 23, 24, 25, 26, 27].map((n) => write(`slow-${n}.png`, n)));
    await waitFor('eight queued', () => counts().queued === 8);
    service.resume();
    await waitFor('the old model at work', () => oldRuns.length > 0);

    const next = await world.classifier({ id: 'second-model', version: '2.0.0' });
    const retired = service.setAnalysis(new Analysis(next, null));
    await retired;
    const runsBefore = oldRuns.length;
    await classifier.close(); // what the engine does once `retired` resolves
    await waitFor('eight results', () => counts().done === 8, 20_000);
    expect(oldRuns.length).toBe(runsBefore); // the closed model was never asked again
    expect(counts().failed).toBe(0);
    const models = world.store.captures
      .inState('done', { limit: 8, offset: 0 })
      .map((c) => world.store.history.forCapture(c.sha256)[0]!.model.id);
    // The old model finished only what it had started (its runs take 2 at most); the rest ran on the new one.
    expect(models.filter((id) => id === 'second-model').length).toBeGreaterThanOrEqual(8 - 2 * runsBefore);
    expect(models.filter((id) => id !== 'second-model').length).toBeGreaterThan(0);
  });

  it('runs captures queued after a batch-size change in batches of that size', async () => {
    const batches: number[] = [];
    const run = classifier.run.bind(classifier);
    classifier.run = (tensors) => {
      batches.push(tensors.length);
      return run(tensors);
    };
    const service = intake({ batchSize: 8 });
    await service.start();
    service.setBatchSize(1);
    service.addFolder(world.inbox, false);
    await Promise.all([10, 11, 12, 13, 14].map((n) => write(`burst-${n}.png`, n)));
    await waitFor('five results', () => counts().done === 5);
    expect(batches.length).toBe(5);
    expect(Math.max(...batches)).toBe(1);
  });

  it('updates and removes folders, forgetting files that were still settling', async () => {
    const service = intake({ settleMs: 60_000 });
    await service.start();
    const folder = service.addFolder(world.inbox, false);
    await write('settling.png', 10);
    await service.rescan();
    expect(counts().discovered).toBe(1);
    expect(service.updateFolder(folder.id, { recursive: true })).toMatchObject({ recursive: true, enabled: true });
    expect(service.updateFolder(folder.id, { enabled: false }).enabled).toBe(false);
    expect(() => service.updateFolder(999, { enabled: true })).toThrow(/no watched folder with id 999/);
    expect(service.removeFolder(folder.id)).toBe(true);
    expect(service.removeFolder(folder.id)).toBe(false);
    expect(counts().discovered).toBe(0);
    expect(world.store.folders.list()).toEqual([]);
  });
});

function fakeResult(sha: string) {
  return {
    ...wholeCapture,
    sha256: sha,
    model: { id: classifier.identity.id, version: classifier.identity.version, sha256: classifier.identity.sha256 },
    probabilities: { dim: 0.5, bright: 0.5 },
    className: 'bright',
    probability: 0.5,
    provider: 'cpu',
    preprocessing: {},
    appVersion: '0.0.1',
    durationMs: 1,
    classifiedAt: 1,
  };
}

describe('rescanDelay', () => {
  it('rescans every interval while a rescan is cheap, and keeps a costly one to about 1% of the time', () => {
    expect(rescanDelay(30_000, 0)).toBe(30_000);
    expect(rescanDelay(30_000, 40)).toBe(30_000); // a folder of a few thousand captures
    expect(rescanDelay(30_000, 900)).toBe(90_000); // tens of thousands: 0.9 s every 90 s
  });
});
