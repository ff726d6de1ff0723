import { existsSync } from 'node:fs';
import { StoreError } from '../core/store/errors.js';
import { openStoreToRead } from '../core/store/reader.js';
import { openStore, type Store } from '../core/store/store.js';
import { lockForWriting, type WriterLock } from '../core/store/writer-lock.js';
import { UsageError } from './usage.js';

/**
 * Opens the database for a command (`reading`: only to read it, also from read-only media). Every
 * way that fails (missing, locked, damaged, from a newer MetaScope) becomes a sentence and exit code 2.
 */
export function openDatabaseFile(file: string, options: { mustExist: boolean; reading?: boolean }): Store {
  if (options.mustExist && !existsSync(file)) {
    throw new UsageError(`There is no MetaScope database at ${file}. Name the right file with --db.`);
  }
  try {
    return options.reading ? openStoreToRead(file) : openStore(file);
  } catch (error) {
    if (error instanceof StoreError) throw new UsageError(error.message);
    if (/^SQLITE_(BUSY|LOCKED)/.test(String((error as { code?: unknown }).code))) {
      throw new UsageError(
        `The database ${file} is locked by another program. Try again once it has finished, or work on a copy of the file.`,
      );
    }
    throw error;
  }
}

/** Makes this command the database's only writer: another MetaScope on it becomes a sentence and exit code 2. */
export function lockDatabaseFile(file: string, program: string): WriterLock {
  try {
    return lockForWriting(file, program);
  } catch (error) {
    if (error instanceof StoreError) throw new UsageError(error.message);
    throw error;
  }
}
