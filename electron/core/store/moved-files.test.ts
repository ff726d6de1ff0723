import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from './store.js';
import { addFile, registerModel, resultFor, sha, tempDirs } from './testing/fixtures.js';

const dirs = tempDirs();
let store: Store;

beforeAll(() => {
  store = openStore(path.join(dirs.make(), 'metascope.db'));
  registerModel(store);
  const plate = store.folders.add('/lab/plate-07').id;
  addFile(store, '/lab/plate-07/A1.tif', sha(1), plate);
  store.captures.claimNext(1);
  store.captures.saveOutcomes([resultFor(sha(1))], []);
  // Moved to the archive, as the intake sees it: the same content at a new path, the old one gone.
  addFile(store, '/archive/2026/plate-07-A1.tif', sha(1));
  store.files.forget(['/lab/plate-07/A1.tif']);
});
afterAll(() => store.close());

describe('a capture moved to another folder', () => {
  const found = (search: string) =>
    store.history.page({ search }, { key: 'time', direction: 'desc' }, { limit: 10, offset: 0 }).rows.map((r) => r.sha256);

  it('is found by the path it had, and by the one it has', () => {
    expect(store.history.forCapture(sha(1))[0]!.paths).toEqual(['/archive/2026/plate-07-A1.tif']);
    expect(found('/lab/plate-07/A1')).toEqual([sha(1)]);
    expect(found('archive/2026')).toEqual([sha(1)]);
    // Too short for the trigram index: every path, former ones too, is read.
    expect(found('b/')).toEqual([sha(1)]);
    expect(found('plate-08')).toEqual([]);
  });
});
