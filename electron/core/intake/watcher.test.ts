import { mkdirSync, writeFileSync, type Stats } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../capture/testing/images.js';
import type { WatchedFolder } from '../store/folders.js';
import { waitFor } from './testing/fixtures.js';
import { FolderWatcher, ignoredPath } from './watcher.js';

const file = { isFile: () => true } as Stats;
const folder = { isFile: () => false } as Stats;

describe('ignoredPath', () => {
  it('lets captures and folders through and skips what is hidden, temporary or not a capture', () => {
    expect(ignoredPath('/in', '/in')).toBe(false);
    expect(ignoredPath('/in', '/in/cell.tif', file)).toBe(false);
    expect(ignoredPath('/in', '/in/cell.tif')).toBe(false);
    expect(ignoredPath('/in', '/in/day 2', folder)).toBe(false);
    for (const name of ['cell.tif.part', 'cell.tmp', '~$cell.tif', '.cell.tif', '.git']) {
      expect(ignoredPath('/in', `/in/${name}`)).toBe(true);
    }
    expect(ignoredPath('/in', '/in/notes.txt', file)).toBe(true);
  });
});

describe('FolderWatcher', () => {
  it('names the files its events were about, and asks for the whole folder on a folder event', async () => {
    const temp = makeTempDir('metascope-watcher-');
    const hints: Array<string[] | null> = [];
    const watcher = new FolderWatcher((_id, changed) => hints.push(changed ? [...changed].sort() : null), 50);
    try {
      const folder = { id: 1, path: temp.dir, recursive: true } as WatchedFolder;
      watcher.watch(folder);
      await waitFor('the watch to be ready', () => hints.length === 1);
      expect(hints[0]).toBeNull(); // ready: look at everything once

      writeFileSync(path.join(temp.dir, 'a.png'), 'x');
      writeFileSync(path.join(temp.dir, 'b.tif'), 'x');
      writeFileSync(path.join(temp.dir, 'b.tif.part'), 'x'); // ignored: still being written
      const named = () => new Set(hints.slice(1).flatMap((h) => h ?? []));
      await waitFor('hints naming the two captures', () => named().size === 2);
      expect([...named()].sort()).toEqual([path.join(temp.dir, 'a.png'), path.join(temp.dir, 'b.tif')]);
      expect(hints.slice(1)).not.toContain(null);

      const before = hints.length;
      mkdirSync(path.join(temp.dir, 'day 2'));
      await waitFor('a hint for the whole folder', () => hints.slice(before).includes(null));
    } finally {
      await watcher.close();
      temp.remove();
    }
  });
});
