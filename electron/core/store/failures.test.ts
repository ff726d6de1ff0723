import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from './store.js';
import { addFile, registerModel, resultFor, sha, tempDirs } from './testing/fixtures.js';

const dirs = tempDirs();
let store: Store;
let inbox: number;

/** Three failures (one under two paths, one in no watched folder), one result, one capture still queued. */
beforeAll(async () => {
  store = openStore(path.join(dirs.make(), 'metascope.db'));
  registerModel(store);
  inbox = store.folders.add('/lab/inbox').id;
  addFile(store, '/lab/inbox/notes.txt.tif', sha(1), inbox);
  addFile(store, '/lab/inbox/copy of notes.tif', sha(1), inbox);
  addFile(store, '/lab/inbox/good.tif', sha(2), inbox);
  addFile(store, '/elsewhere/half_written%.tif', sha(3));
  addFile(store, '/lab/inbox/huge.tif', sha(4), inbox);
  addFile(store, '/lab/inbox/waiting.tif', sha(5), inbox);
  store.captures.claimNext(4);
  const failAt = async (n: number, reason: string) => {
    // Failures are ordered by the time they failed: a millisecond apart at least.
    await new Promise((resolve) => setTimeout(resolve, 5));
    store.captures.saveOutcomes([], [{ sha256: sha(n), reason }]);
  };
  await failAt(3, 'The file ends early: it may still have been written.');
  await failAt(1, 'This file is not an image MetaScope knows (TIFF, PNG, JPEG or WebP).');
  store.captures.saveOutcomes([resultFor(sha(2))], []);
  await failAt(4, 'This file is too large to decode.');
});
afterAll(() => {
  store.close();
  dirs.cleanup();
});

const names = (rows: { name: string }[]) => rows.map((r) => r.name);

describe('failed captures', () => {
  it('are listed with their reasons and paths, newest or oldest first, with the total', () => {
    const newest = store.failures.page({}, 'desc', { limit: 2, offset: 0 });
    expect(newest.total).toBe(3);
    expect(names(newest.rows)).toEqual(['huge.tif', 'notes.txt.tif']);
    expect(newest.rows[1]).toMatchObject({
      sha256: sha(1),
      state: 'failed',
      failureReason: 'This file is not an image MetaScope knows (TIFF, PNG, JPEG or WebP).',
      paths: ['/lab/inbox/notes.txt.tif', '/lab/inbox/copy of notes.tif'],
      folderPath: '/lab/inbox',
    });
    expect(names(store.failures.page({}, 'desc', { limit: 2, offset: 2 }).rows)).toEqual([
      'half_written%.tif',
    ]);
    expect(names(store.failures.page({}, 'asc', { limit: 10, offset: 0 }).rows)).toEqual([
      'half_written%.tif',
      'notes.txt.tif',
      'huge.tif',
    ]);
  });

  it('match the folder, a part of any path (% and _ literally) and the time they failed', () => {
    const all = { limit: 10, offset: 0 };
    expect(names(store.failures.page({ folderId: inbox }, 'asc', all).rows)).toEqual([
      'notes.txt.tif',
      'huge.tif',
    ]);
    expect(names(store.failures.page({ search: 'COPY OF' }, 'asc', all).rows)).toEqual(['notes.txt.tif']);
    expect(names(store.failures.page({ search: 'f_w' }, 'asc', all).rows)).toEqual(['half_written%.tif']);
    expect(store.failures.page({ search: '%' }, 'asc', all).total).toBe(1);
    const huge = store.captures.get(sha(4))!;
    expect(names(store.failures.page({ from: huge.updatedAt }, 'asc', all).rows)).toEqual(['huge.tif']);
    expect(names(store.failures.page({ to: huge.updatedAt }, 'asc', all).rows)).toEqual([
      'half_written%.tif',
      'notes.txt.tif',
    ]);
  });

  it('are exported oldest first in chunks, none twice, none missed', () => {
    expect(names([...store.failures.export({}, 1)])).toEqual([
      'half_written%.tif',
      'notes.txt.tif',
      'huge.tif',
    ]);
    expect(names([...store.failures.export({ folderId: inbox }, 1)])).toEqual(['notes.txt.tif', 'huge.tif']);
  });

  it('leave once retried', () => {
    store.captures.retry(sha(4));
    expect(store.failures.page({}, 'asc', { limit: 10, offset: 0 }).total).toBe(2);
  });
});
