import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from './db.js';
import { StoreError } from './errors.js';
import { storeOn } from './store.js';
import { addFile, fillDisk, freeDisk, registerModel, resultFor, sha, tempDirs } from './testing/fixtures.js';

const dirs = tempDirs();
afterEach(dirs.cleanup);

describe('a full disk', () => {
  it('is reported in plain words, and every result saved before it stays', () => {
    const file = path.join(dirs.make(), 'metascope.db');
    const db = openDatabase(file);
    const store = storeOn(db, file);
    registerModel(store);
    for (let n = 1; n <= 5; n++) {
      addFile(store, `/in/${n}.tif`, sha(n));
      store.captures.claimNext(1);
      store.captures.saveOutcomes([resultFor(sha(n))], []);
    }
    fillDisk(db);
    let error: unknown;
    try {
      for (let n = 6; n <= 5000; n++) {
        addFile(store, `/in/a-much-longer-file-name-to-fill-pages-${'x'.repeat(200)}-${n}.tif`, sha(n));
        store.captures.claimNext(1);
        store.captures.saveOutcomes([resultFor(sha(n))], []);
      }
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe('disk-full');
    expect((error as StoreError).message).toMatch(/disk .* is full/);
    expect(
      store.history
        .page({}, { key: 'time', direction: 'asc' }, { limit: 10, offset: 0 })
        .rows.slice(0, 5)
        .map((r) => r.sha256),
    ).toEqual([1, 2, 3, 4, 5].map(sha));
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    // Space freed: saving works again, nothing half-written is left behind.
    freeDisk(db);
    addFile(store, '/in/after.tif', sha(9999));
    store.captures.claimNext(10);
    store.captures.saveOutcomes([resultFor(sha(9999))], []);
    expect(store.captures.get(sha(9999))?.state).toBe('done');
    store.close();
  });
});
