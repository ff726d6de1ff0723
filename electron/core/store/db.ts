import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { guard, StoreError } from './errors.js';
import { migrate, type Migration } from './migrate.js';
import { migrations as allMigrations } from './migrations/index.js';

export interface DatabaseOptions {
  /**
   * The better-sqlite3 addon file to load instead of the one `npm install` built for Node: the
   * desktop app passes the build for its Electron, whose native interface differs from Node's.
   */
  sqliteAddon?: string;
}

/**
 * Opens (creating its folder if needed) and migrates the database at `file`.
 * Failures come out as StoreErrors with a sentence for the user.
 */
export function openDatabase(
  file: string,
  migrations: readonly Migration[] = allMigrations,
  options: DatabaseOptions = {},
): Database.Database {
  return guard(file, () => {
    mkdirSync(path.dirname(file), { recursive: true });
    const db = connect(file, options.sqliteAddon);
    try {
      db.pragma('journal_mode = WAL');
      // In WAL mode NORMAL never corrupts and never loses a commit to an app crash; a power cut
      // may undo the last few commits, which the reconciler redoes since the captures are still
      // on disk. FULL would add an fsync to every result written.
      db.pragma('synchronous = NORMAL');
      // The CLI or browser-mode server may hold the file briefly; wait rather than fail.
      db.pragma('busy_timeout = 5000');
      db.pragma('foreign_keys = ON');
      // 64 MiB keeps the history's indexes in memory at 100,000 results (the default is 16 MiB).
      db.pragma('cache_size = -65536');
      migrate(db, file, migrations);
      // Refreshes planner statistics of tables that grew, which counts and charts rely on.
      db.pragma('optimize = 0x10002');
      return db;
    } catch (error) {
      db.close();
      throw error;
    }
  });
}

function connect(file: string, sqliteAddon: string | undefined): Database.Database {
  try {
    return new Database(file, sqliteAddon ? { nativeBinding: sqliteAddon } : {});
  } catch (error) {
    if (!couldNotLoadAddon(error)) throw error;
    throw new StoreError(
      'sqlite-missing',
      sqliteAddon
        ? `MetaScope cannot load its database library from ${sqliteAddon}: the file is missing or was built for another version of the app. Reinstall MetaScope; in a source folder, \`npm start\` builds it again.`
        : 'MetaScope cannot load its database library (better-sqlite3): it is missing or was built for another program. In the MetaScope folder, `npm rebuild better-sqlite3` repairs it for the command line and the tests, and `npm start` runs the desktop app with a build of its own.',
      { cause: error },
    );
  }
}

/** Node's failures to find or load a native addon, and the `bindings` package's own. */
function couldNotLoadAddon(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ERR_DLOPEN_FAILED' || code === 'MODULE_NOT_FOUND') return true;
  return error instanceof Error && error.message.startsWith('Could not locate the bindings file');
}

/** Folds the WAL back into the database file and lets SQLite refresh its planner statistics. */
export function closeDatabase(db: Database.Database): void {
  if (!db.open) return;
  try {
    guard(db.name, () => {
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.pragma('optimize');
    });
  } catch (error) {
    // With no room to fold it in, the WAL stays beside the database, whole, and the next open
    // folds it in: nothing is lost, so a full disk is no failure to close (nor a stack trace at Ctrl-C).
    if (!(error instanceof StoreError && error.code === 'disk-full')) throw error;
  } finally {
    db.close();
  }
}
