import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from './store.js';
import { addFile, modelA, registerModel, resultFor, sha, tempDirs } from './testing/fixtures.js';

const dirs = tempDirs();
afterEach(dirs.cleanup);

function reviewedStore() {
  const file = path.join(dirs.make(), 'metascope.db');
  const store = openStore(file);
  registerModel(store);
  addFile(store, '/in/a.tif', sha(1));
  store.captures.claimNext(1);
  store.captures.saveOutcomes([resultFor(sha(1), { className: 'infected', probability: 0.7 })], []);
  return { store, file };
}

describe('reviews', () => {
  it('keeps every review and reports the latest', () => {
    const { store } = reviewedStore();
    expect(store.reviews.latest(sha(1))).toBeUndefined();
    const first = store.reviews.add({ sha256: sha(1), label: 'healthy' });
    expect(first).toMatchObject({ sha256: sha(1), label: 'healthy', note: '', reviewer: null });
    store.reviews.add({
      sha256: sha(1),
      label: 'infected',
      note: 'second look: inclusions',
      reviewer: 'ana',
    });
    expect(store.reviews.latest(sha(1))).toMatchObject({
      label: 'infected',
      note: 'second look: inclusions',
      reviewer: 'ana',
    });
    expect(store.reviews.history(sha(1)).map((r) => r.label)).toEqual(['healthy', 'infected']);
    expect(() => store.reviews.add({ sha256: sha(2), label: 'healthy' })).toThrow(
      /No capture has the SHA-256/,
    );
    store.close();
  });

  it('refuses to change or delete a review', () => {
    const { store, file } = reviewedStore();
    store.reviews.add({ sha256: sha(1), label: 'healthy' });
    const db = new Database(file);
    expect(() => db.prepare("UPDATE reviews SET label = 'infected'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM reviews').run()).toThrow(/append-only/);
    db.close();
    expect(store.reviews.latest(sha(1))?.label).toBe('healthy');
    store.close();
  });

  it('survives a re-run: the new result replaces the old one, the review stays', () => {
    const { store } = reviewedStore();
    const review = store.reviews.add({ sha256: sha(1), label: 'healthy', note: 'clearly healthy' });
    store.captures.saveOutcomes(
      [resultFor(sha(1), { className: 'healthy', probability: 0.95, provider: 'cuda' })],
      [],
    );
    expect(store.reviews.history(sha(1))).toEqual([review]);
    const { rows, total } = store.history.page(
      {},
      { key: 'time', direction: 'desc' },
      { limit: 10, offset: 0 },
    );
    expect(total).toBe(1);
    expect(rows[0]).toMatchObject({ className: 'healthy', probability: 0.95, provider: 'cuda', review });
    store.close();
  });

  it('counts a result as reviewed whether it came before or after the review', () => {
    const { store } = reviewedStore();
    const modelB = { ...modelA, id: 'nuclei', sha256: 'b'.repeat(64) };
    registerModel(store, modelB);
    const reviewed = () =>
      store.history.page({ reviewed: true }, { key: 'time', direction: 'asc' }, { limit: 10, offset: 0 });
    expect(reviewed().total).toBe(0);
    store.reviews.add({ sha256: sha(1), label: 'healthy' });
    expect(reviewed().total).toBe(1);
    store.captures.saveOutcomes([resultFor(sha(1), { model: modelB })], []);
    expect(reviewed().rows.map((r) => r.model.id)).toEqual(['cells', 'nuclei']);
    expect(store.history.reviewQueue({}, { limit: 10, offset: 0 }).total).toBe(0);
    store.close();
  });
});
