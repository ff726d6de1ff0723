import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CaptureRow } from '../../contract/types.js';
import { engineWorld, type Driven, type EngineWorld } from './testing/engine-world.js';

/** Review that forgives: undo, the reviewer's name, not-a-cell answers and the queue narrowed, through the contract. */

let world: EngineWorld;
let app: Driven;
beforeEach(async () => {
  world = await engineWorld();
  app = await world.open();
});
afterEach(async () => {
  await world.cleanup();
});

const done = (sha256: string) => (row: CaptureRow) => row.sha256 === sha256 && row.state === 'done';
const queueNames = async (input: { folderId?: number; modelClass?: string } = {}) =>
  (await app.call('reviews.queue', input)).rows.map((r) => r.fileName);

describe('reviews.withdraw', () => {
  it('undoes a decision: the final label is again the one before and the capture is back in the queue, in its place', async () => {
    // Confidence of the decided class: 120 → 0.53 (dim), 200 → 0.76 (bright), 30 → 0.82 (dim).
    const shas = {
      30: await world.drop('c30.png', 30),
      120: await world.drop('c120.png', 120),
      200: await world.drop('c200.png', 200),
    };
    for (const sha of Object.values(shas)) await app.event('capture.updated', done(sha));
    expect(await queueNames()).toEqual(['c120.png', 'c200.png', 'c30.png']);

    const first = await app.call('reviews.add', { sha256: shas[200], label: 'dim', reviewer: 'Ana' });
    const correction = await app.call('reviews.add', {
      sha256: shas[200],
      label: 'Not a cell / other',
      reviewer: 'Ana',
    });
    expect(correction).toMatchObject({ label: 'Not a cell / other', reviewer: 'Ana', withdrawnAt: null });
    expect(await queueNames()).toEqual(['c120.png', 'c30.png']);
    // "Not a cell / other" is the final label and is counted as such, never as the model's class.
    const counted = await app.call('history.query', { filter: { className: 'Not a cell / other' } });
    expect(counted.rows.map((r) => [r.fileName, r.class, r.finalLabel])).toEqual([
      ['c200.png', 'bright', 'Not a cell / other'],
    ]);
    expect((await app.call('history.query', { filter: { className: 'bright' } })).total).toBe(0);

    // Undoing the correction leaves the first decision standing: still reviewed, labelled dim.
    const undone = await app.call('reviews.withdraw', { id: correction.id, reviewer: 'Ana' });
    expect(undone.withdrawnAt).not.toBeNull();
    const relabelled = (await app.call('captures.get', { sha256: shas[200] })).capture;
    expect(relabelled.finalLabel).toBe('dim');
    expect(relabelled.review).toMatchObject({ id: first.id, label: 'dim' });
    expect(await queueNames()).toEqual(['c120.png', 'c30.png']);

    // Undoing the first too gives the model's class back and returns the capture to its place in the queue.
    await app.call('reviews.withdraw', { id: first.id, reviewer: 'Ana' });
    const restored = (await app.call('captures.get', { sha256: shas[200] })).capture;
    expect(restored.review).toBeNull();
    expect(restored.finalLabel).toBe('bright');
    expect(await queueNames()).toEqual(['c120.png', 'c200.png', 'c30.png']);
    expect((await app.call('history.query', { filter: { className: 'bright' } })).total).toBe(1);

    // Both stay on record, each with who decided and when it was undone.
    const detail = await app.call('captures.get', { sha256: shas[200] });
    expect(detail.reviews.map((r) => [r.label, r.reviewer, r.withdrawnAt !== null])).toEqual([
      ['dim', 'Ana', true],
      ['Not a cell / other', 'Ana', true],
    ]);
  });

  it('refuses to undo a decision twice or one that does not exist, in a plain sentence', async () => {
    const sha = await world.drop('one.png', 60);
    await app.event('capture.updated', done(sha));
    const review = await app.call('reviews.add', { sha256: sha, label: 'bright' });
    await app.call('reviews.withdraw', { id: review.id });
    for (const id of [review.id, 9999]) {
      expect(await app.respond('reviews.withdraw', { id })).toMatchObject({
        ok: false,
        error: { code: 'not-found', message: 'That decision is not on record, or it was already undone.' },
      });
    }
  });
});

describe('reviews.queue', () => {
  it('narrows to one watched folder and to one class of the model', async () => {
    const other = path.join(world.dir, 'Scope B');
    mkdirSync(other, { recursive: true });
    const folder = await app.call('folders.add', { path: other, recursive: false });
    const drops = [
      await world.drop('inbox-40.png', 40),
      await world.drop('inbox-210.png', 210),
      await world.drop('b-50.png', 50, other),
      await world.drop('b-220.png', 220, other),
    ];
    for (const sha of drops) await app.event('capture.updated', done(sha));

    expect((await queueNames({ folderId: folder.id })).sort()).toEqual(['b-220.png', 'b-50.png']);
    expect((await queueNames({ modelClass: 'bright' })).sort()).toEqual(['b-220.png', 'inbox-210.png']);
    expect(await queueNames({ folderId: folder.id, modelClass: 'dim' })).toEqual(['b-50.png']);
    expect((await app.call('reviews.queue', { folderId: folder.id })).total).toBe(2);
  });
});

describe('the reviewer’s name', () => {
  it('is kept in the settings file across a restart and exported with each review', async () => {
    expect((await app.call('settings.get', {})).reviewerName).toBeNull();
    expect(await app.call('settings.update', { reviewerName: '  Ana Ruiz ' })).toMatchObject({
      reviewerName: 'Ana Ruiz',
    });
    const sha = await world.drop('named.png', 200);
    await app.event('capture.updated', done(sha));
    await app.call('reviews.add', { sha256: sha, label: 'dim', reviewer: 'Ana Ruiz' });

    await app.close();
    app = await world.open();
    expect((await app.call('settings.get', {})).reviewerName).toBe('Ana Ruiz');
    const { csv } = await app.call('history.exportCsv', {});
    const [header, line] = csv.split('\n');
    expect(header).toMatch(/^file_name,folder,paths,sha256,final_label,/);
    expect(header).toContain(',reviewer,review_note,reviewed_at,');
    expect(line).toMatch(/^named\.png,[^,]*,[^,]*,[0-9a-f]{64},dim,/);
    expect(line).toMatch(/,Ana Ruiz,,\d{4}-/);
  });
});
