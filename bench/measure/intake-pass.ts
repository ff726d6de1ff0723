import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RecentReads } from '../../electron/core/intake/recent-reads.js';
import { Reconciler } from '../../electron/core/intake/reconciler.js';
import { captureBytes, intakeWorld } from '../../electron/core/intake/testing/fixtures.js';
import { inParallel, percentile } from './stats.js';

export interface IntakePass {
  captures: number;
  /** CPU ms of a pass that lists the whole folder (start, periodic rescan), median of 3. */
  fullPassMs: number;
  /** CPU ms of the pass a watcher event for one new capture causes, median of 5. */
  namedPassMs: number;
}

const cpuMs = async (work: () => Promise<unknown>): Promise<number> => {
  const before = process.cpuUsage();
  await work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
};

/**
 * The intake's bookkeeping cost in a folder that already holds `captures` identified captures:
 * what a day of acquisition into one folder leaves behind.
 */
export async function measureIntakePass(captures: number): Promise<IntakePass> {
  const world = intakeWorld();
  try {
    const folder = world.store.folders.add(world.inbox, { recursive: false });
    const names = Array.from({ length: captures }, (_, i) => i);
    await inParallel(names, 8, async (i) => writeFile(path.join(world.inbox, `capture-${i}.png`), await captureBytes(i)));
    const reconciler = new Reconciler(
      { store: world.store, settleMs: 0, maxAttempts: 3, readConcurrency: 4, recentReads: new RecentReads(0) },
      { captureChanged: () => {}, queued: () => {}, availabilityChanged: () => {}, notice: () => {}, failed: () => {} },
    );
    // Sighting, then identifying: every capture known and hashed.
    while ((await reconciler.reconcile(folder.id)) !== null || world.store.files.settlingIn(folder.id).length > 0);
    const full = [];
    for (let i = 0; i < 3; i++) full.push(await cpuMs(() => reconciler.reconcile(folder.id)));
    const named = [];
    for (let i = 0; i < 5; i++) {
      const file = path.join(world.inbox, `new-${i}.png`);
      await writeFile(file, await captureBytes(captures + i));
      named.push(await cpuMs(() => reconciler.reconcile(folder.id, () => false, new Set([file]))));
    }
    return { captures, fullPassMs: percentile(full, 50), namedPassMs: percentile(named, 50) };
  } finally {
    await world.close();
  }
}
