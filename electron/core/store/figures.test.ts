import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from './store.js';
import { addFile, registerModel, resultFor, sha, tempDirs } from './testing/fixtures.js';

const dirs = tempDirs();
let store: Store;
let plate1: number;
let plate2: number;

/**
 * | # | folder          | model said | reviewed as |
 * | 1 | plate1          | infected   | infected    |
 * | 2 | plate1          | infected   | healthy     |
 * | 3 | plate1          | healthy    |             |
 * | 4 | plate2          | healthy    | healthy     |
 * | 5 | plate1, plate2  | infected   |             |
 */
beforeAll(() => {
  store = openStore(path.join(dirs.make(), 'metascope.db'));
  registerModel(store);
  plate1 = store.folders.add('/lab/plate1').id;
  plate2 = store.folders.add('/lab/plate2').id;
  const said = ['infected', 'infected', 'healthy', 'healthy', 'infected'];
  said.forEach((className, i) => {
    addFile(store, `/lab/plate${i === 3 ? 2 : 1}/${i}.tif`, sha(i + 1), i === 3 ? plate2 : plate1);
    store.captures.claimNext(1);
    store.captures.saveOutcomes([resultFor(sha(i + 1), { className })], []);
  });
  addFile(store, '/lab/plate2/5-again.tif', sha(5), plate2);
  store.reviews.add({ sha256: sha(1), label: 'infected' });
  store.reviews.add({ sha256: sha(2), label: 'healthy' });
  store.reviews.add({ sha256: sha(4), label: 'healthy' });
});
afterAll(() => store.close());

describe('figures', () => {
  it('counts final labels per folder, a capture in every folder it was seen in', () => {
    expect(store.figures.folderShares({})).toEqual([
      { folderId: plate1, className: 'healthy', count: 2, total: 4 },
      { folderId: plate1, className: 'infected', count: 2, total: 4 },
      { folderId: plate2, className: 'healthy', count: 1, total: 2 },
      { folderId: plate2, className: 'infected', count: 1, total: 2 },
    ]);
  });

  it('compares reviewers with the model per class the model gave and per folder', () => {
    expect(store.figures.agreementByClass({})).toEqual([
      { className: 'healthy', reviewed: 1, agreed: 1 },
      { className: 'infected', reviewed: 2, agreed: 1 },
    ]);
    expect(store.figures.agreementByFolder({})).toEqual([
      { folderId: plate1, reviewed: 2, agreed: 1 },
      { folderId: plate2, reviewed: 1, agreed: 1 },
    ]);
    // An undone review no longer counts.
    const second = store.reviews.history(sha(2))[0]!;
    store.reviews.withdraw(second.id);
    expect(store.figures.agreementByClass({ modelClass: 'infected' })).toEqual([
      { className: 'infected', reviewed: 1, agreed: 1 },
    ]);
  });
});
