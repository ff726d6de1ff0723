import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from './store.js';
import { addFile, sha, tempDirs } from './testing/fixtures.js';

const dirs = tempDirs();
afterEach(dirs.cleanup);

describe('watched folders', () => {
  it('adds, lists, updates and tracks availability and scans', () => {
    const store = openStore(path.join(dirs.make(), 'metascope.db'));
    const inbox = store.folders.add('/home/lab/MetaScope inbox');
    expect(inbox).toMatchObject({
      recursive: true,
      enabled: true,
      state: 'available',
      unavailableReason: null,
      lastScanAt: null,
    });
    expect(store.folders.add('/home/lab/MetaScope inbox')).toEqual(inbox);
    const usb = store.folders.add('/media/usb', { recursive: false, enabled: false });
    expect(store.folders.list().map((f) => [f.path, f.recursive, f.enabled])).toEqual([
      ['/home/lab/MetaScope inbox', true, true],
      ['/media/usb', false, false],
    ]);

    expect(store.folders.update(usb.id, { enabled: true })).toMatchObject({
      recursive: false,
      enabled: true,
    });
    expect(store.folders.update(999, { enabled: true })).toBeUndefined();

    store.folders.setAvailability(usb.id, 'The drive was unplugged.');
    expect(store.folders.get(usb.id)).toMatchObject({
      state: 'unavailable',
      unavailableReason: 'The drive was unplugged.',
    });
    store.folders.setAvailability(usb.id, null);
    expect(store.folders.get(usb.id)).toMatchObject({ state: 'available', unavailableReason: null });

    store.folders.markScanned(inbox.id, 1234);
    expect(store.folders.get(inbox.id)?.lastScanAt).toBe(1234);
    store.close();
  });

  it('stops watching a folder without losing what was found in it', () => {
    const store = openStore(path.join(dirs.make(), 'metascope.db'));
    const folder = store.folders.add('/in');
    addFile(store, '/in/a.tif', sha(1), folder.id);
    store.folders.remove(folder.id);
    expect(store.folders.list()).toEqual([]);
    expect(store.files.get('/in/a.tif')).toMatchObject({ folderId: null, sha256: sha(1) });
    expect(store.captures.get(sha(1))?.paths).toEqual(['/in/a.tif']);
    store.close();
  });
});
