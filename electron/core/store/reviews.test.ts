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

  it('counts, filters and sorts by the final label: the standing review, else the model’s class', () => {
    const { store } = reviewedStore();
    addFile(store, '/in/b.tif', sha(2));
    store.captures.claimNext(1);
    store.captures.saveOutcomes([resultFor(sha(2), { className: 'infected', probability: 0.9 })], []);
    const counts = () =>
      Object.fromEntries(store.history.classCounts({}, 'day', 'UTC').map((c) => [c.className, c.count]));
    const labelled = (className: string) =>
      store.history.page({ className }, { key: 'class', direction: 'asc' }, { limit: 10, offset: 0 });
    expect(counts()).toEqual({ infected: 2 });
    store.reviews.add({ sha256: sha(1), label: 'healthy', reviewer: 'ana' });
    expect(counts()).toEqual({ healthy: 1, infected: 1 });
    expect(labelled('healthy').rows.map((r) => [r.sha256, r.finalLabel, r.className])).toEqual([
      [sha(1), 'healthy', 'infected'],
    ]);
    // What the model said is still there to filter by.
    expect(
      store.history.page({ modelClass: 'infected' }, { key: 'time', direction: 'asc' }, { limit: 10, offset: 0 })
        .total,
    ).toBe(2);
    // A later result of the same capture starts from the person's label, not the model's.
    const modelB = { ...modelA, id: 'nuclei', sha256: 'b'.repeat(64) };
    registerModel(store, modelB);
    store.captures.saveOutcomes([resultFor(sha(1), { model: modelB, className: 'infected' })], []);
    expect(labelled('healthy').total).toBe(2);
    store.close();
  });

  it('undoes a decision by withdrawing it: the label before it stands again, and both stay on record', () => {
    const { store, file } = reviewedStore();
    const first = store.reviews.add({ sha256: sha(1), label: 'healthy', reviewer: 'ana' });
    const second = store.reviews.add({ sha256: sha(1), label: 'other', reviewer: 'ana' });
    const finalLabel = () => store.history.forCapture(sha(1))[0]?.finalLabel;
    expect(finalLabel()).toBe('other');
    const undone = store.reviews.withdraw(second.id, 'ana');
    expect(undone).toMatchObject({ id: second.id, label: 'other', withdrawnAt: expect.any(Number) });
    expect(finalLabel()).toBe('healthy');
    expect(store.reviews.latest(sha(1))?.id).toBe(first.id);
    expect(store.reviews.withdraw(second.id)).toBeUndefined();
    store.reviews.withdraw(first.id);
    expect(finalLabel()).toBe('infected');
    // Nothing standing: back in the review queue.
    expect(store.history.reviewQueue({}, { limit: 10, offset: 0 }).total).toBe(1);
    expect(store.reviews.history(sha(1)).map((r) => [r.label, r.withdrawnAt !== null])).toEqual([
      ['healthy', true],
      ['other', true],
    ]);
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT count(*) FROM reviews').pluck().get()).toBe(4);
    db.close();
    store.close();
  });
});
