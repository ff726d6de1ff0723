import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Capture } from '../store/captures.js';
import { openStore, type Store } from '../store/store.js';
import { addFile, sha, tempDirs } from '../store/testing/fixtures.js';
import { FacilityOutbox } from './outbox.js';

const dirs = tempDirs();
afterEach(dirs.cleanup);

function storeWith(count: number): Store {
  const store = openStore(path.join(dirs.make(), 'metascope.db'));
  for (let i = 1; i <= count; i++) addFile(store, `/in/${i}.tif`, sha(i), null);
  return store;
}

const until = async (check: () => boolean, timeoutMs = 5000) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe('the facility outbox', () => {
  it('keeps captures queued while the facility is unreachable, says so once, and sends them all when it is back', async () => {
    const store = storeWith(5);
    const notices: string[] = [];
    const sent: string[] = [];
    let down = 3;
    const outbox = new FacilityOutbox({
      store,
      label: 'postgres://lab@db/metascope',
      batchSize: 2,
      retryMs: 5,
      send: async (captures: Capture[]) => {
        if (down-- > 0) throw new Error('connect ECONNREFUSED 10.0.0.5:5432');
        sent.push(...captures.map((c) => c.sha256));
      },
      sendFailures: async () => {},
      onCapture: () => {},
      onProgress: () => {},
      notice: (level, message) => notices.push(`${level}: ${message}`),
    });
    outbox.start();
    await until(() => sent.length === 5);
    expect(sent.sort()).toEqual([1, 2, 3, 4, 5].map(sha));
    expect(store.captures.counts()).toMatchObject({ queued: 0, processing: 0, done: 5 });
    expect(notices).toEqual([
      'warning: The facility database postgres://lab@db/metascope cannot be reached (connect ECONNREFUSED 10.0.0.5:5432). 5 captures wait on this computer and are sent as soon as it can; nothing is lost.',
      'info: The facility database postgres://lab@db/metascope can be reached again: the captures that waited are being sent.',
    ]);
    await outbox.stop();
    store.close();
  });

  it('leaves what it could not send queued at stop, for the next start', async () => {
    const store = storeWith(3);
    const outbox = new FacilityOutbox({
      store,
      label: 'postgres://lab@db/metascope',
      retryMs: 60_000,
      send: async () => {
        throw new Error('connect ECONNREFUSED');
      },
      sendFailures: async () => {},
      onCapture: () => {},
      onProgress: () => {},
      notice: () => {},
    });
    outbox.start();
    await until(() => store.captures.counts().processing === 0 && store.captures.counts().queued === 3);
    await outbox.stop();
    expect(store.captures.counts()).toMatchObject({ queued: 3, processing: 0, done: 0 });
    store.close();
  });

  it('records what failed here in the facility once, and tries again while it cannot', async () => {
    const store = storeWith(3);
    store.captures.markFailed(sha(2), 'This file is not an image MetaScope can read.');
    const recorded: string[] = [];
    let down = 1;
    const outbox = new FacilityOutbox({
      store,
      label: 'postgres://lab@db/metascope',
      retryMs: 5,
      send: async () => {},
      sendFailures: async (captures: Capture[]) => {
        if (down-- > 0) throw new Error('connect ECONNREFUSED');
        recorded.push(...captures.map((c) => `${c.sha256} ${c.failureReason}`));
      },
      onCapture: () => {},
      onProgress: () => {},
      notice: () => {},
    });
    outbox.start();
    await until(() => recorded.length === 1);
    expect(recorded).toEqual([`${sha(2)} This file is not an image MetaScope can read.`]);
    // A later failure is sent on its own; the first is not sent again.
    store.captures.markFailed(sha(3), 'The file is empty.');
    outbox.fill();
    await until(() => recorded.length === 2);
    expect(recorded[1]).toBe(`${sha(3)} The file is empty.`);
    await outbox.stop();
    store.close();
  });
});
