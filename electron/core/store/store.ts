import type Database from 'better-sqlite3';
import { createCaptures } from './captures.js';
import { createCells } from './cells.js';
import { createComparison } from './comparison.js';
import { closeDatabase, openDatabase, type DatabaseOptions } from './db.js';
import { guard, toStoreError } from './errors.js';
import { createFailures } from './failures.js';
import { createFiles } from './files.js';
import { createFigures } from './figures.js';
import { createFolders } from './folders.js';
import { createHistory } from './history.js';
import { createModels } from './models.js';
import { createReviews } from './reviews.js';

export type Store = ReturnType<typeof storeOn>;

/**
 * The engine's durable memory, opened (created, migrated) at `file`. Every call is synchronous;
 * a disk-full, read-only or damaged database surfaces as a StoreError with a plain sentence.
 */
export function openStore(file: string, options: DatabaseOptions = {}): Store {
  return storeOn(openDatabase(file, undefined, options), file);
}

/** The store's API over a database already opened and migrated by `openDatabase`. */
export function storeOn(db: Database.Database, file: string) {
  return {
    folders: guarded(createFolders(db), file),
    files: guarded(createFiles(db), file),
    captures: guarded(createCaptures(db), file),
    cells: guarded(createCells(db), file),
    models: guarded(createModels(db), file),
    reviews: guarded(createReviews(db), file),
    history: guarded(createHistory(db), file),
    failures: guarded(createFailures(db), file),
    comparison: guarded(createComparison(db), file),
    figures: guarded(createFigures(db), file),
    /** Checkpoints the WAL into the database file and closes it. */
    close: () => closeDatabase(db),
  };
}

/** The same API, with known SQLite failures (also those met while iterating) turned into StoreErrors. */
function guarded<T extends object>(api: T, file: string): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(api)) {
    wrapped[name] =
      typeof value === 'function'
        ? (...args: unknown[]) => {
            const result = guard(file, () => (value as (...a: unknown[]) => unknown)(...args));
            return isGenerator(result) ? guardedIteration(result, file) : result;
          }
        : value;
  }
  return wrapped as T;
}

function isGenerator(value: unknown): value is Generator {
  return Object.prototype.toString.call(value) === '[object Generator]';
}

function* guardedIteration<T>(iterator: Generator<T>, file: string): Generator<T> {
  try {
    yield* iterator;
  } catch (error) {
    throw toStoreError(error, file);
  }
}
