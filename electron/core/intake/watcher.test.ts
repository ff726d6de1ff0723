import type { Stats } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ignoredPath } from './watcher.js';

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
