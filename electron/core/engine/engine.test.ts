import { existsSync, readFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CaptureRow } from '../../contract/types.js';
import { noiseBytes, writeCapture } from '../capture/testing/images.js';
import { providerLabels, providerOrder } from '../model/providers.js';
import { smallDisk } from '../store/testing/fixtures.js';
import { appVersion } from '../paths.js';
import { brightness, engineWorld, flatCapture, sha256Of, type EngineWorld } from './testing/engine-world.js';

/** The engine facade, driven through the contract exactly as a front end drives it. */

let world: EngineWorld;
beforeEach(async () => {
  world = await engineWorld();
});
afterEach(async () => {
  await world.cleanup();
});

const done = (sha256: string) => (row: CaptureRow) => row.sha256 === sha256 && row.state === 'done';

describe('first start', () => {
  it('creates the inbox, watches it and reports the model and the processor it runs on', async () => {
    const app = await world.open();
    expect(existsSync(world.inbox)).toBe(true);
    const folders = await app.call('folders.list', {});
    expect(folders).toEqual([
      expect.objectContaining({
        path: world.inbox,
        isInbox: true,
        enabled: true,
        recursive: false,
        state: 'available',
        reason: null,
      }),
    ]);

    const status = await app.call('app.status', {});
    expect(status).toMatchObject({
      version: appVersion(),
      mode: 'browser',
      dataFolder: path.dirname(world.database),
      database: world.database,
      inbox: world.inbox,
      modelProblem: null,
      model: {
        id: 'test-linear-mean',
        version: '1.0.0',
        classes: ['dim', 'bright'],
        active: true,
        folder: world.model,
      },
      progress: { queued: 0, inFlight: 0, paused: false },
    });
    // `auto` tries the platform's providers in order and names the first that started (a machine
    // whose GPU works runs there); each one before it says why it was skipped.
    const order = providerOrder();
    expect(order).toContain(status.provider);
    expect(status.providerLabel).toBe(providerLabels[status.provider!]);
    expect(status.skippedProviders.map((s) => s.provider)).toEqual(
      order.slice(0, order.indexOf(status.provider!)),
    );
    for (const skipped of status.skippedProviders) expect(skipped.reason).toMatch(/^[A-Z].*\.$/);
  });

  it('does not add the inbox again once the lab removed it', async () => {
    const first = await world.open();
    const [inbox] = await first.call('folders.list', {});
    expect(await first.call('folders.remove', { id: inbox!.id })).toEqual({ removed: true });
    const changed = await first.event('folders.changed', (list) => list.length === 0);
    expect(changed).toEqual([]);
    await first.close();

    const second = await world.open();
    expect(await second.call('folders.list', {})).toEqual([]);
    expect((await second.call('app.status', {})).inbox).toBe(world.inbox);
  });
});

describe('captures in the inbox', () => {
  it('are classified, listed newest first (failures too, with their reason) and shown with their provenance', async () => {
    const app = await world.open();
    // Results name the provider that ran them: the one the engine reports as started.
    const { provider } = await app.call('app.status', {});
    expect(provider).not.toBeNull();
    const dim = await world.drop('dim.png', 30);
    const dimRow = await app.event('capture.updated', done(dim));
    expect(dimRow).toMatchObject({
      fileName: 'dim.png',
      paths: [path.join(world.inbox, 'dim.png')],
      class: 'dim',
      provider,
      model: { id: 'test-linear-mean', version: '1.0.0' },
      width: 16,
      height: 16,
      bitDepth: 8,
      failureReason: null,
      review: null,
    });
    expect(dimRow.probability).toBeCloseTo(1 - brightness(30), 4);
    expect(dimRow.probabilities!.bright).toBeCloseTo(brightness(30), 4);
    const [inbox] = await app.call('folders.list', {});
    expect(dimRow.folderId).toBe(inbox!.id);

    const bright = await world.drop('bright.png', 220);
    const brightRow = await app.event('capture.updated', done(bright));
    expect(brightRow.class).toBe('bright');
    expect(brightRow.probability).toBeCloseTo(brightness(220), 4);

    // Bytes that do not decode are tried a few times, then failed with a reason in words.
    writeCapture(world.inbox, 'broken.png', noiseBytes(300));
    const broken = sha256Of(noiseBytes(300));
    const failed = await app.event(
      'capture.updated',
      (row) => row.sha256 === broken && row.state === 'failed',
    );
    expect(failed.failureReason).toMatch(/^[A-Z].*\.$/);
    expect(failed.class).toBeNull();

    const recent = await app.call('captures.recent', { limit: 10 });
    expect(recent.map((r) => [r.fileName, r.state])).toEqual([
      ['broken.png', 'failed'],
      ['bright.png', 'done'],
      ['dim.png', 'done'],
    ]);
    expect(recent[0]!.failureReason).toBe(failed.failureReason);
    expect(await app.call('captures.recent', { limit: 1 })).toHaveLength(1);

    const detail = await app.call('captures.get', { sha256: dim });
    expect(detail).toMatchObject({
      format: 'png',
      channels: 1,
      reviews: [],
      capture: { sha256: dim, state: 'done' },
    });
    expect(detail.results).toHaveLength(1);
    const [result] = detail.results;
    const model = (await app.call('app.status', {})).model!;
    expect(result).toMatchObject({
      model: {
        id: 'test-linear-mean',
        version: '1.0.0',
        sha256: model.sha256,
        name: 'Test model (mean brightness)',
      },
      class: 'dim',
      provider,
      appVersion: appVersion(),
      preprocessing: { resize: 'stretch', intensity: { mode: 'bit-depth' }, threshold: 0.5 },
    });
    expect(result!.durationMs).toBeGreaterThan(0);
    expect(Date.parse(result!.classifiedAt)).toBeLessThanOrEqual(Date.now());

    const failedDetail = await app.call('captures.get', { sha256: broken });
    expect(failedDetail.results).toEqual([]);
    expect(failedDetail.capture.failureReason).toBe(failed.failureReason);
  });

  it('answers a capture it does not know, or a malformed id, with an error response', async () => {
    const app = await world.open();
    const unknown = await app.respond('captures.get', { sha256: 'a'.repeat(64) });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'not-found' } });
    const malformed = await app.respond('captures.get', { sha256: 'not-a-hash' });
    expect(malformed).toMatchObject({ ok: false, error: { code: 'bad-request' } });
  });
});

describe('captures.import', () => {
  it('writes dropped bytes into the inbox under a free name and refuses what cannot be a capture', async () => {
    const app = await world.open();
    const [dimBytes, brightBytes] = await Promise.all([flatCapture(40), flatCapture(210)]);
    const base64 = (bytes: Buffer) => bytes.toString('base64');
    const outcome = await app.call('captures.import', {
      files: [
        { name: 'drop.png', dataBase64: base64(dimBytes) },
        { name: 'drop.png', dataBase64: base64(brightBytes) },
        { name: '../escape.png', dataBase64: base64(dimBytes) },
        { name: 'sub/inner.png', dataBase64: base64(dimBytes) },
        { name: 'sub\\inner.png', dataBase64: base64(dimBytes) },
        { name: 'notes.txt', dataBase64: base64(Buffer.from('hello')) },
      ],
    });
    expect(outcome.written).toEqual([
      path.join(world.inbox, 'drop.png'),
      path.join(world.inbox, 'drop (2).png'),
    ]);
    expect(outcome.refused.map((r) => r.name)).toEqual([
      '../escape.png',
      'sub/inner.png',
      'sub\\inner.png',
      'notes.txt',
    ]);
    expect(outcome.refused.slice(0, 3).map((r) => r.reason)).toEqual(
      Array(3).fill('A file name may not contain folder separators.'),
    );
    expect(outcome.refused[3]!.reason).toMatch(/^Only TIFF, PNG, JPEG and WebP/);
    // The second copy never overwrote the first.
    expect(readFileSync(path.join(world.inbox, 'drop.png'))).toEqual(dimBytes);
    expect(readFileSync(path.join(world.inbox, 'drop (2).png'))).toEqual(brightBytes);
    expect(existsSync(path.join(world.dir, 'escape.png'))).toBe(false);

    // What lands in the inbox is classified like anything else there.
    const first = await app.event('capture.updated', done(sha256Of(dimBytes)));
    const second = await app.event('capture.updated', done(sha256Of(brightBytes)));
    expect([first.class, second.class]).toEqual(['dim', 'bright']);
    expect(second.fileName).toBe('drop (2).png');
  });

  it('refuses a request with no files as a bad request', async () => {
    const app = await world.open();
    expect(await app.respond('captures.import', { files: [] })).toMatchObject({
      ok: false,
      error: { code: 'bad-request' },
    });
  });
});

describe('reviews', () => {
  it('are appended: the row shows the latest, the detail all of them, and the queue leaves reviewed captures out', async () => {
    const app = await world.open();
    // Confidence of the decided class: 120 → 0.53 (dim), 200 → 0.76 (bright), 30 → 0.82 (dim).
    const shas = {
      30: await world.drop('c30.png', 30),
      120: await world.drop('c120.png', 120),
      200: await world.drop('c200.png', 200),
    };
    for (const sha of Object.values(shas)) await app.event('capture.updated', done(sha));

    const queue = await app.call('reviews.queue', {});
    expect(queue.total).toBe(3);
    expect(queue.rows.map((r) => r.fileName)).toEqual(['c120.png', 'c200.png', 'c30.png']);
    expect((await app.call('reviews.queue', { offset: 1, limit: 1 })).rows.map((r) => r.fileName)).toEqual([
      'c200.png',
    ]);

    const first = await app.call('reviews.add', {
      sha256: shas[120],
      label: 'bright',
      note: 'Looks "bright", to me',
    });
    expect(first).toMatchObject({ label: 'bright', note: 'Looks "bright", to me' });
    expect(Number.isNaN(Date.parse(first.createdAt))).toBe(false);
    const second = await app.call('reviews.add', { sha256: shas[120], label: 'dim' });
    expect(second).toMatchObject({ label: 'dim', note: '' });
    const updated = await app.event(
      'capture.updated',
      (row) => row.sha256 === shas[120] && row.review?.label === 'dim',
    );
    expect(updated.class).toBe('dim');

    const row = (await app.call('captures.recent', { limit: 10 })).find((r) => r.sha256 === shas[120]);
    expect(row?.review).toMatchObject({ label: 'dim', note: '' });
    const detail = await app.call('captures.get', { sha256: shas[120] });
    expect(detail.reviews.map((r) => [r.label, r.note])).toEqual([
      ['bright', 'Looks "bright", to me'],
      ['dim', ''],
    ]);
    expect(detail.capture.review?.label).toBe('dim');
    // A review never changes the model's answer.
    expect(detail.results[0]!.class).toBe('dim');

    const after = await app.call('reviews.queue', {});
    expect(after.total).toBe(2);
    expect(after.rows.map((r) => r.fileName)).toEqual(['c200.png', 'c30.png']);
  });

  it('refuses a review of an unknown capture or without a label', async () => {
    const app = await world.open();
    expect(await app.respond('reviews.add', { sha256: 'b'.repeat(64), label: 'dim' })).toMatchObject({
      ok: false,
      error: { code: 'not-found' },
    });
    const sha = await world.drop('one.png', 60);
    await app.event('capture.updated', done(sha));
    expect(await app.respond('reviews.add', { sha256: sha, label: '' })).toMatchObject({
      ok: false,
      error: { code: 'bad-request' },
    });
    expect((await app.call('captures.get', { sha256: sha })).reviews).toEqual([]);
  });
});

describe('folders, allowed roots and closing', () => {
  it('lets images be served only from the watched folders and the thumbnail cache', async () => {
    const app = await world.open();
    const thumbnails = path.join(path.dirname(world.database), 'thumbnails');
    expect(app.engine.allowedRoots()).toEqual([world.inbox, thumbnails]);

    const other = path.join(world.dir, 'microscope');
    mkdirSync(other);
    const added = await app.call('folders.add', { path: other, recursive: true });
    expect(added).toMatchObject({ path: other, recursive: true, enabled: true, isInbox: false });
    expect(app.engine.allowedRoots()).toEqual([world.inbox, other, thumbnails]);
    const sha = await world.drop('elsewhere.png', 90, other);
    expect(await app.event('capture.updated', done(sha))).toMatchObject({ folderId: added.id, class: 'dim' });

    expect(await app.respond('folders.add', { path: path.join(world.dir, 'nowhere') })).toMatchObject({
      ok: false,
    });
    expect(await app.call('folders.remove', { id: added.id })).toEqual({ removed: true });
    expect(app.engine.allowedRoots()).toEqual([world.inbox, thumbnails]);
  });

  it('closes cleanly while captures are still arriving, and keeps what it finished', async () => {
    const app = await world.open();
    const first = await world.drop('first.png', 10);
    await app.event('capture.updated', done(first));
    // A burst, then close at once: whatever is in flight finishes or goes back to the queue.
    const burst: string[] = [];
    for (let i = 0; i < 6; i++) burst.push(await world.drop(`burst-${i}.png`, 50 + i * 20));
    await app.event('capture.updated', (row) => row.fileName.startsWith('burst-'));
    await app.close();
    // Timers the engine started must not outlive it (a late progress update would read a closed database).
    await new Promise((resolve) => setTimeout(resolve, 400));

    const again = await world.open();
    expect((await again.call('captures.get', { sha256: first })).capture.state).toBe('done');
    // Nothing is lost: what was not finished before the close is classified after the restart.
    for (const sha of burst) {
      const known = await again.respond('captures.get', { sha256: sha });
      if (!known.ok || (known.output as { capture: CaptureRow }).capture.state !== 'done')
        await again.event('capture.updated', done(sha));
    }
    expect(
      (await again.call('captures.recent', { limit: 50 })).filter((r) => r.state === 'done'),
    ).toHaveLength(7);
  });
});

describe('one MetaScope per database', () => {
  it('a second engine on the same database does not start, and says which MetaScope holds it; once that one closes, the next starts', async () => {
    const app = await world.open();
    const refusal = world.open({ mode: 'desktop' });
    await expect(refusal).rejects.toThrow(
      `MetaScope is already running on the database ${world.database} (metascope serve, process ${process.pid}, since `,
    );
    await expect(refusal).rejects.toThrow(/only one MetaScope at a time can use a database, so close that one first\.$/);
    expect((await app.call('app.status', {})).progress.paused).toBe(false);
    await app.close();

    const next = await world.open({ mode: 'desktop' });
    expect((await next.call('app.status', {})).mode).toBe('desktop');
  });
});

describe('a read-only home folder', () => {
  it('starts without the inbox and says why; a data folder there is refused in a sentence', async (context) => {
    const home = smallDisk({ readOnly: true });
    if (!home) return context.skip('a read-only home of its own (a tmpfs mounted read-only) needs root to mount');
    try {
      const inbox = path.join(home.dir, 'MetaScope Inbox');
      const app = await world.open({ inbox });
      expect(await app.event('notice')).toMatchObject({
        level: 'warning',
        message: `The inbox ${inbox} cannot be created, so MetaScope runs without it: its folder may be read-only. Add a folder to watch, or set METASCOPE_INBOX to a folder you may write to.`,
      });
      expect(await app.call('folders.list', {})).toEqual([]);
      expect((await app.call('app.status', {})).model?.id).toBe('test-linear-mean');
      await app.close();

      const dataFolder = path.join(home.dir, '.local', 'share', 'MetaScope');
      await expect(world.open({ database: path.join(dataFolder, 'metascope.db') })).rejects.toThrow(
        `The data folder ${dataFolder} is read-only: MetaScope cannot save results there. Allow writing to it or choose another data folder.`,
      );
    } finally {
      home.unmount();
    }
  });
});
