import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';

export type StoreErrorCode =
  | 'disk-full'
  | 'read-only'
  | 'cannot-open'
  | 'corrupt'
  | 'newer-schema'
  | 'migration-failed'
  | 'sqlite-missing'
  | 'in-use';

/** A store failure with a sentence a biologist can act on; `cause` keeps the SQLite detail. */
export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StoreError';
  }
}

// SQLite's extended codes (SQLITE_READONLY_DIRECTORY, SQLITE_CANTOPEN_ISDIR, ...) share the
// primary code's prefix; Node's own file-system codes cover creating the data folder.
const sentences: [RegExp, StoreErrorCode, (file: string) => string][] = [
  [
    /^(SQLITE_FULL|ENOSPC)/,
    'disk-full',
    (file) => `The disk holding ${file} is full: MetaScope cannot save results until some space is freed.`,
  ],
  [
    /^(SQLITE_READONLY|EACCES|EPERM|EROFS)/,
    'read-only',
    (file) =>
      `The data folder ${path.dirname(file)} is read-only: MetaScope cannot save results there. Allow writing to it or choose another data folder.`,
  ],
  [
    /^(SQLITE_CANTOPEN|ENOENT|ENOTDIR|EISDIR)/,
    'cannot-open',
    (file) =>
      `MetaScope cannot open its database ${file}: the data folder is missing or not reachable. Check the data folder or choose another one.`,
  ],
  [
    /^(SQLITE_CORRUPT|SQLITE_NOTADB)/,
    'corrupt',
    (file) =>
      `The database ${file} is damaged and cannot be read. Restore it from a backup (a .bak file next to it, if any) or choose another data folder.`,
  ],
];

/** The StoreError for a known SQLite or file-system failure; any other error unchanged. */
export function toStoreError(error: unknown, file: string): unknown {
  if (error instanceof StoreError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return error;
  const match = sentences.find(([pattern]) => pattern.test(code));
  if (!match) return error;
  // SQLite (and Node, creating a folder on read-only media) cannot tell a folder it may not write
  // to from one that is not there: a new database cannot be created in either.
  const [, kind, sentence] = match[1] === 'cannot-open' && isReadOnlyFolder(path.dirname(file)) ? sentences[1]! : match;
  return new StoreError(kind, sentence(file), { cause: error });
}

/**
 * Whether `folder` may not be written to, or lies on read-only media below its nearest existing
 * folder. A folder missing below one the user may merely not write to (the mount point of an
 * unplugged drive) is missing, not read-only.
 */
function isReadOnlyFolder(folder: string): boolean {
  let place = folder;
  while (!existsSync(place)) {
    if (path.dirname(place) === place) return false;
    place = path.dirname(place);
  }
  try {
    accessSync(place, constants.W_OK);
    return false;
  } catch (error) {
    return place === folder || (error as NodeJS.ErrnoException).code === 'EROFS';
  }
}

/** Runs `fn`, turning known failures into StoreErrors. */
export function guard<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw toStoreError(error, file);
  }
}
