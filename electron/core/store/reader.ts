import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StoreError } from './errors.js';
import { openStore, type Store } from './store.js';

/**
 * Opens the database only to read it (`history`, `export`). On read-only media (a DVD, a locked
 * archive share) SQLite cannot keep the WAL's shared index beside the database, so there it is read
 * from a copy in the temporary folder, removed again on close.
 */
export function openStoreToRead(file: string): Store {
  try {
    return openStore(file);
  } catch (error) {
    if (!(error instanceof StoreError && error.code === 'read-only')) throw error;
  }
  const copyFolder = mkdtempSync(path.join(os.tmpdir(), 'metascope-read-'));
  const removeCopy = () => rmSync(copyFolder, { recursive: true, force: true });
  try {
    const copy = path.join(copyFolder, path.basename(file));
    copyFileSync(file, copy);
    // A database not closed cleanly keeps its latest results in the WAL.
    if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, `${copy}-wal`);
    const store = openStore(copy);
    return {
      ...store,
      close() {
        try {
          store.close();
        } finally {
          removeCopy();
        }
      },
    };
  } catch (error) {
    removeCopy();
    throw error;
  }
}
