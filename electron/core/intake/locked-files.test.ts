import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterEach, expect, it, vi } from 'vitest';
import { RecentReads } from './recent-reads.js';
import { Reconciler } from './reconciler.js';
import { captureBytes, intakeWorld, sleep } from './testing/fixtures.js';

// Another program holding a file open for writing (a Windows sharing violation) cannot be
// staged on Linux, and root reads any file whatever its mode: the read itself reports it.
const locked = vi.hoisted(() => ({ paths: new Set<string>() }));
vi.mock('node:fs/promises', async (original) => {
  const fs = await original<typeof import('node:fs/promises')>();
  return {
    ...fs,
    open: (async (file: string, ...rest: []) => {
      if (locked.paths.has(file)) throw Object.assign(new Error(`EBUSY: resource busy or locked, open '${file}'`), { code: 'EBUSY' });
      return fs.open(file, ...rest);
    }) as typeof fs.open,
  };
});

const world = intakeWorld();
afterEach(() => world.close());

it('retries a locked file with growing waits, says so once, and never fails it', async () => {
  const folder = world.store.folders.add(world.inbox, { recursive: false });
  const notices: string[] = [];
  const reconciler = new Reconciler(
    { store: world.store, settleMs: 50, maxAttempts: 3, readConcurrency: 1, recentReads: new RecentReads(1 << 20) },
    { captureChanged: () => {}, queued: () => {}, availabilityChanged: () => {}, notice: (_l, m) => notices.push(m), failed: () => {} },
  );
  const file = path.join(world.inbox, 'locked.png');
  writeFileSync(file, await captureBytes(1));
  locked.paths.add(file);

  const waits: number[] = [];
  for (let pass = 0; pass < 6; pass++) {
    const wakeAt = (await reconciler.reconcile(folder.id))!;
    waits.push(wakeAt - Date.now());
    await sleep(Math.max(0, wakeAt - Date.now()) + 5);
  }
  // First the settle interval, then 50, 100, 200, 400, 800 ms.
  expect(waits.slice(2).every((wait, i) => wait > waits[i + 1]!)).toBe(true);
  expect(notices).toEqual([expect.stringMatching(/locked\.png cannot be read yet: The file is locked by another program\. MetaScope keeps trying\./)]);
  expect(world.store.captures.counts()).toMatchObject({ discovered: 1, failed: 0 });

  locked.paths.delete(file);
  await sleep(850);
  expect(await reconciler.reconcile(folder.id)).toBeNull();
  expect(world.store.captures.counts()).toMatchObject({ discovered: 0, queued: 1 });
});
