import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from './store.js';
import { addFile, info, modelA, registerModel, resultFor, sha, tempDirs } from './testing/fixtures.js';

const dirs = tempDirs();
afterEach(dirs.cleanup);

function open(): { store: Store; file: string } {
  const file = path.join(dirs.make(), 'metascope.db');
  return { store: openStore(file), file };
}

describe('files', () => {
  it('records a sighting as discovered and keeps it settling until size and mtime hold still', () => {
    const { store } = open();
    const first = store.files.recordSeen({ path: '/in/a.tif', folderId: null, size: 10, mtimeMs: 1.5 });
    expect(first).toMatchObject({ path: '/in/a.tif', folderId: null, sha256: null, size: 10, mtimeMs: 1.5 });
    expect(store.captures.counts().discovered).toBe(1);

    store.captures.attachFile('/in/a.tif', sha(1), info);
    const again = store.files.recordSeen({ path: '/in/a.tif', folderId: null, size: 10, mtimeMs: 1.5 });
    expect(again).toEqual({ ...first, sha256: sha(1) });

    const rewritten = store.files.recordSeen({ path: '/in/a.tif', folderId: null, size: 20, mtimeMs: 2.5 });
    expect(rewritten.sha256).toBeNull();
    expect(rewritten.seenAt).toBeGreaterThanOrEqual(first.seenAt);
    expect(store.captures.get(sha(1))?.state).toBe('queued'); // the old content keeps its capture
    store.close();
  });

  it('lists a folder for the reconciler and forgets vanished files without touching their captures', () => {
    const { store } = open();
    registerModel(store);
    const folder = store.folders.add('/in');
    addFile(store, '/in/b.tif', sha(1), folder.id);
    addFile(store, '/in/a.tif', sha(2), folder.id);
    addFile(store, '/elsewhere/c.tif', sha(3));
    expect(store.files.inFolder(folder.id).map((f) => [f.path, f.sha256])).toEqual([
      ['/in/a.tif', sha(2)],
      ['/in/b.tif', sha(1)],
    ]);
    expect(store.files.get('/in/a.tif')).toMatchObject({ size: info.size, mtimeMs: 1_700_000_000_000.5 });
    expect(store.files.get('/nowhere.tif')).toBeUndefined();

    store.captures.claimNext(3);
    store.captures.saveOutcomes([resultFor(sha(2))], []);
    expect(store.files.forget(['/in/a.tif', '/never-seen.tif'])).toBe(1);
    expect(store.files.get('/in/a.tif')).toBeUndefined();
    expect(store.captures.get(sha(2))).toMatchObject({ state: 'done', name: 'a.tif', paths: [] });
    const page = (search: string) =>
      store.history.page({ search }, { key: 'time', direction: 'desc' }, { limit: 10, offset: 0 });
    expect(page('').total).toBe(1);
    expect(page('in/a.tif').total).toBe(1); // still found by the path it had (former_paths, 0006)
    store.close();
  });
});

describe('captures', () => {
  it('keeps the same content under two names as one capture with both paths', () => {
    const { store } = open();
    expect(addFile(store, '/in/a.tif', sha(1))).toEqual({ created: true });
    expect(addFile(store, '/in/copy of a.tif', sha(1))).toEqual({ created: false });
    const capture = store.captures.get(sha(1));
    expect(capture).toMatchObject({ name: 'a.tif', state: 'queued', attempts: 0, info });
    expect(capture?.paths).toEqual(['/in/a.tif', '/in/copy of a.tif']);
    expect(store.captures.counts()).toEqual({ discovered: 0, queued: 1, processing: 0, done: 0, failed: 0 });
    store.close();
  });

  it('refuses to attach a file the intake never recorded', () => {
    const { store } = open();
    expect(() => store.captures.attachFile('/in/ghost.tif', sha(1), info)).toThrow(/never recorded/);
    expect(store.captures.get(sha(1))).toBeUndefined();
    store.close();
  });

  it('claims queued captures oldest first, each once', () => {
    const { store } = open();
    for (let n = 1; n <= 5; n++) addFile(store, `/in/${n}.tif`, sha(n));
    const first = store.captures.claimNext(2);
    expect(first.map((c) => c.sha256)).toEqual([sha(1), sha(2)]);
    expect(first.every((c) => c.state === 'processing' && c.attempts === 1)).toBe(true);
    expect(first[0]?.paths).toEqual(['/in/1.tif']);
    expect(store.captures.claimNext(10).map((c) => c.sha256)).toEqual([sha(3), sha(4), sha(5)]);
    expect(store.captures.claimNext(10)).toEqual([]);
    expect(store.captures.counts()).toMatchObject({ queued: 0, processing: 5 });
    store.close();
  });

  it('lists the captures changed last first, whatever their state', async () => {
    const { store } = open();
    registerModel(store);
    for (let n = 1; n <= 3; n++) {
      addFile(store, `/in/${n}.tif`, sha(n));
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    expect(store.captures.recent(10).map((c) => c.sha256)).toEqual([sha(3), sha(2), sha(1)]);
    await new Promise((resolve) => setTimeout(resolve, 2));
    store.captures.claimNext(1);
    store.captures.markFailed(sha(1), 'The file is damaged.');
    expect(store.captures.recent(2).map((c) => [c.sha256, c.state])).toEqual([
      [sha(1), 'failed'],
      [sha(3), 'queued'],
    ]);
    store.close();
  });

  it('walks queued → processing → done or failed', () => {
    const { store } = open();
    registerModel(store);
    addFile(store, '/in/a.tif', sha(1));
    addFile(store, '/in/b.tif', sha(2));
    store.captures.claimNext(2);
    store.captures.saveOutcomes([resultFor(sha(1))], []);
    expect(store.captures.markFailed(sha(2), 'The file is not a TIFF the decoder understands.')).toBe(true);
    expect(store.captures.markFailed(sha(99), 'no such capture')).toBe(false);
    expect(store.captures.get(sha(1))).toMatchObject({ state: 'done', failureReason: null });
    expect(store.captures.get(sha(2))).toMatchObject({
      state: 'failed',
      failureReason: 'The file is not a TIFF the decoder understands.',
    });
    expect(store.captures.inState('failed', { limit: 10, offset: 0 }).map((c) => c.sha256)).toEqual([sha(2)]);
    expect(store.captures.counts()).toEqual({ discovered: 0, queued: 0, processing: 0, done: 1, failed: 1 });
    store.close();
  });

  it('gives a failed capture another try, and only a failed one', () => {
    const { store } = open();
    registerModel(store);
    addFile(store, '/in/a.tif', sha(1));
    addFile(store, '/in/b.tif', sha(2));
    store.captures.claimNext(2);
    store.captures.markFailed(sha(1), 'The file was moved before it could be read.');
    store.captures.saveOutcomes([resultFor(sha(2))], []);
    expect(store.captures.retry(sha(1))).toBe(true);
    expect(store.captures.get(sha(1))).toMatchObject({ state: 'queued', failureReason: null });
    expect(store.captures.retry(sha(1))).toBe(false);
    expect(store.captures.retry(sha(2))).toBe(false);
    expect(store.captures.get(sha(2))?.state).toBe('done');
    store.close();
  });

  it('saves a result and the done state together or not at all', () => {
    const { store, file } = open();
    registerModel(store);
    addFile(store, '/in/a.tif', sha(1));
    store.captures.claimNext(1);
    const unknownModel = { ...modelA, sha256: 'f'.repeat(64) };
    expect(() => store.captures.saveOutcomes([resultFor(sha(1), { model: unknownModel })], [])).toThrow(
      /FOREIGN KEY/,
    );
    expect(() => store.captures.saveOutcomes([resultFor(sha(2))], [])).toThrow(/No capture has the SHA-256/);
    expect(store.captures.get(sha(1))?.state).toBe('processing');
    store.close();
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT count(*) FROM results').pluck().get()).toBe(0);
    db.close();
  });

  it('saves a batch of results and failures in one transaction: all of it or none', () => {
    const { store, file } = open();
    registerModel(store);
    for (let n = 1; n <= 4; n++) addFile(store, `/in/${n}.tif`, sha(n));
    store.captures.claimNext(4);
    const unknownModel = { ...modelA, sha256: 'f'.repeat(64) };
    const broken = [resultFor(sha(1)), resultFor(sha(2), { model: unknownModel })];
    expect(() => store.captures.saveOutcomes(broken, [{ sha256: sha(3), reason: 'Damaged.' }])).toThrow(
      /FOREIGN KEY/,
    );
    expect(store.captures.counts()).toMatchObject({ processing: 4, done: 0, failed: 0 });

    store.captures.saveOutcomes(
      [resultFor(sha(1)), resultFor(sha(2))],
      [{ sha256: sha(3), reason: 'Damaged.' }],
    );
    expect(store.captures.counts()).toMatchObject({ processing: 1, done: 2, failed: 1 });
    expect(store.captures.get(sha(3))).toMatchObject({ state: 'failed', failureReason: 'Damaged.' });
    store.close();
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT count(*) FROM results').pluck().get()).toBe(2);
    db.close();
  });

  it('puts work cut short by a crash back in the queue on the next start', () => {
    const { store, file } = open();
    registerModel(store);
    for (let n = 1; n <= 3; n++) addFile(store, `/in/${n}.tif`, sha(n));
    store.captures.claimNext(3);
    store.captures.saveOutcomes([resultFor(sha(1))], []);
    // No close(): the process dies with two captures mid-flight.

    const restarted = openStore(file);
    expect(restarted.captures.requeueProcessing()).toBe(2);
    expect(restarted.captures.counts()).toMatchObject({ queued: 2, processing: 0, done: 1 });
    expect(restarted.captures.queued()).toBe(2);
    const again = restarted.captures.claimNext(5);
    expect(again.map((c) => [c.sha256, c.attempts])).toEqual([
      [sha(2), 2],
      [sha(3), 2],
    ]);
    restarted.close();
    store.close();
  });
});
