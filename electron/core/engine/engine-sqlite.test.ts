import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { openEngine } from './index.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

it('opens its store with the better-sqlite3 build it is given, and says so when that build is missing', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'metascope-engine-sqlite-'));
  dirs.push(dir);
  const addon = path.join(dir, 'electron-build', 'better_sqlite3.node');
  await expect(
    openEngine({
      database: path.join(dir, 'metascope.db'),
      inbox: path.join(dir, 'inbox'),
      mode: 'browser',
      sqliteAddon: addon,
    }),
  ).rejects.toMatchObject({ name: 'StoreError', code: 'sqlite-missing' });
  expect(existsSync(path.join(dir, 'metascope.db'))).toBe(false);
});
