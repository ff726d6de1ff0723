import { chmodSync, copyFileSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { closeDatabase, openDatabase } from './db.js';
import { StoreError, toStoreError } from './errors.js';
import { backupPath, type Migration } from './migrate.js';
import { migration0001 } from './migrations/0001-initial.js';
import { migrations } from './migrations/index.js';
import { storeOn } from './store.js';
import { addFile, registerModel, resultFor, sha, smallDisk, tempDirs } from './testing/fixtures.js';

const dirs = tempDirs();
afterEach(dirs.cleanup);

const dbFile = () => path.join(dirs.make(), 'data', 'metascope.db');

const broken: Migration = {
  version: 2,
  name: 'broken',
  up(db) {
    db.exec('CREATE TABLE half_done (x INTEGER)');
    db.exec("INSERT INTO watched_folders (path, added_at) VALUES ('/half', 0)");
    throw new Error('deliberate failure');
  },
};

/** A database at schema 1 holding one watched folder. */
function schema1Database(): string {
  const file = dbFile();
  const db = openDatabase(file, [migration0001]);
  db.prepare("INSERT INTO watched_folders (path, added_at) VALUES ('/inbox', 0)").run();
  closeDatabase(db);
  return file;
}

function caught(fn: () => unknown): StoreError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(StoreError);
    return error as StoreError;
  }
  throw new Error('expected a StoreError');
}

/** Runs `fn` as an unprivileged user where the tests run as root, so file modes apply. */
function withoutRoot<T>(fn: () => T): T {
  if (process.getuid?.() !== 0) return fn();
  process.seteuid!(65534);
  try {
    return fn();
  } finally {
    process.seteuid!(0);
  }
}

describe('openDatabase', () => {
  it('creates the folder, sets WAL and the pragmas, and migrates to the latest schema', () => {
    const file = dbFile();
    const db = openDatabase(file);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('user_version', { simple: true })).toBe(migrations.length);
    closeDatabase(db);
    expect(existsSync(backupPath(file, 1))).toBe(false); // nothing to back up when new
  });

  it('refuses a database from a newer MetaScope and leaves it untouched', () => {
    const file = schema1Database();
    const db = new Database(file);
    db.pragma('user_version = 7');
    db.close();
    const error = caught(() => openDatabase(file));
    expect(error.code).toBe('newer-schema');
    expect(error.message).toBe(
      `This database was written by a newer MetaScope (schema 7); this version understands up to ${migrations.length}. Update MetaScope or choose another data folder.`,
    );
    const after = new Database(file);
    expect(after.pragma('user_version', { simple: true })).toBe(7);
    after.close();
  });

  it('backs up an existing database before migrating it', () => {
    const file = schema1Database();
    const db = openDatabase(file);
    expect(db.pragma('user_version', { simple: true })).toBe(migrations.length);
    expect(db.prepare('SELECT path FROM watched_folders').pluck().all()).toEqual(['/inbox']);
    closeDatabase(db);
    const backup = new Database(backupPath(file, migrations.length), { readonly: true });
    expect(backup.pragma('user_version', { simple: true })).toBe(1);
    expect(backup.prepare('SELECT path FROM watched_folders').pluck().all()).toEqual(['/inbox']);
    backup.close();
    expect(existsSync(`${backupPath(file, migrations.length)}.partial`)).toBe(false);
  });

  it('undoes a failed migration, says so, and keeps the old data usable', () => {
    const file = schema1Database();
    const error = caught(() => openDatabase(file, [migration0001, broken]));
    expect(error.code).toBe('migration-failed');
    expect(error.message).toContain('Updating the database to schema 2 (broken) failed and was undone');
    expect(error.message).toContain(backupPath(file, 2));
    expect(error.message).toContain('deliberate failure');
    const db = openDatabase(file, [migration0001]);
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    expect(db.prepare('SELECT path FROM watched_folders').pluck().all()).toEqual(['/inbox']);
    expect(db.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'half_done'").pluck().get()).toBe(0);
    closeDatabase(db);
  });

  it('refuses a migration list with a gap', () => {
    expect(() => openDatabase(dbFile(), [migration0001, { ...broken, version: 3 }])).toThrow(
      /numbered 3, expected 2/,
    );
  });

  it('reports a read-only database file in plain words', () => {
    const file = schema1Database();
    chmodSync(file, 0o444);
    chmodSync(path.dirname(file), 0o555);
    let error: StoreError;
    try {
      error = withoutRoot(() => caught(() => openDatabase(file)));
    } finally {
      chmodSync(path.dirname(file), 0o755); // so the temporary folder can be removed
    }
    expect(error.code).toBe('read-only');
    expect(error.message).toBe(
      `The data folder ${path.dirname(file)} is read-only: MetaScope cannot save results there. Allow writing to it or choose another data folder.`,
    );
  });

  it('says a database cannot be made on read-only media because they are read-only, not missing', (context) => {
    const media = smallDisk({ readOnly: true });
    if (!media) return context.skip('read-only media of its own (a tmpfs mounted read-only) needs root to mount');
    try {
      const error = caught(() => openDatabase(path.join(media.dir, 'metascope.db')));
      expect(error.code).toBe('read-only');
      expect(error.message).toBe(
        `The data folder ${media.dir} is read-only: MetaScope cannot save results there. Allow writing to it or choose another data folder.`,
      );
    } finally {
      media.unmount();
    }
  });

  it('reports a path it cannot open and a damaged file', () => {
    const folder = dbFile();
    mkdirSync(folder, { recursive: true });
    expect(caught(() => openDatabase(folder)).code).toBe('cannot-open');
    const garbage = path.join(dirs.make(), 'metascope.db');
    writeFileSync(garbage, 'this is not a database, just some text that is long enough'.repeat(100));
    const error = caught(() => openDatabase(garbage));
    expect(error.code).toBe('corrupt');
    expect(error.message).toMatch(/is damaged and cannot be read/);
  });

  it('maps a full disk to a sentence and passes other errors through', () => {
    const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    const mapped = toStoreError(full, '/data/metascope.db') as StoreError;
    expect(mapped.code).toBe('disk-full');
    expect(mapped.message).toBe(
      'The disk holding /data/metascope.db is full: MetaScope cannot save results until some space is freed.',
    );
    expect(mapped.cause).toBe(full);
    const other = Object.assign(new Error('UNIQUE constraint failed'), { code: 'SQLITE_CONSTRAINT_UNIQUE' });
    expect(toStoreError(other, '/data/metascope.db')).toBe(other);
  });

  it('checkpoints the WAL into the database file on close', () => {
    const file = dbFile();
    const db = openDatabase(file);
    db.prepare("INSERT INTO watched_folders (path, added_at) VALUES ('/inbox', 0)").run();
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(0);
    closeDatabase(db);
    expect(existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0).toBe(0);
    closeDatabase(db); // closing twice is harmless
  });

  it('closes on a real full disk without an error, and the next open has every result', (context) => {
    // SQLite's page limit cannot fail a checkpoint: this needs a disk that really fills.
    const disk = smallDisk();
    if (!disk) return context.skip('a small disk of its own (tmpfs) needs root to mount');
    try {
      const file = path.join(disk.dir, 'metascope.db');
      const store = storeOn(openDatabase(file), file);
      registerModel(store);
      for (let n = 1; n <= 200; n++) {
        addFile(store, `/in/${n}.tif`, sha(n));
        store.captures.claimNext(1);
        store.captures.saveOutcomes([resultFor(sha(n))], []);
      }
      disk.fill();
      expect(() => store.close()).not.toThrow();
      disk.free();
      const again = storeOn(openDatabase(file), file);
      expect(again.captures.counts().done).toBe(200);
      again.close();
    } finally {
      disk.unmount();
    }
  });
});

describe('openDatabase with a given better-sqlite3 addon (as the desktop app passes its Electron build)', () => {
  const require = createRequire(import.meta.url);
  // The build `npm install` made for this Node, standing in for the one `npm start` makes for Electron.
  const nodeBuild = path.join(
    path.dirname(require.resolve('better-sqlite3/package.json')),
    'build',
    'Release',
    'better_sqlite3.node',
  );

  it('loads the addon from that file and opens the database with it', () => {
    const addon = path.join(dirs.make(), 'electron-build', 'better_sqlite3.node');
    mkdirSync(path.dirname(addon));
    copyFileSync(nodeBuild, addon);
    expect(require.cache[addon]).toBeUndefined();
    const db = openDatabase(dbFile(), migrations, { sqliteAddon: addon });
    expect(require.cache[addon]).toBeDefined();
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(migrations.length);
    closeDatabase(db);
  });

  it('says in a sentence that the file is missing, and creates no database', () => {
    const addon = path.join(dirs.make(), 'nowhere', 'better_sqlite3.node');
    const file = dbFile();
    const error = caught(() => openDatabase(file, migrations, { sqliteAddon: addon }));
    expect(error.code).toBe('sqlite-missing');
    expect(error.message).toBe(
      `MetaScope cannot load its database library from ${addon}: the file is missing or was built for another version of the app. Reinstall MetaScope; in a source folder, \`npm start\` builds it again.`,
    );
    expect((error.cause as { code?: string }).code).toBe('MODULE_NOT_FOUND');
    expect(existsSync(file)).toBe(false);
  });

  it('says the same of a file that is not a loadable addon', () => {
    const addon = path.join(dirs.make(), 'better_sqlite3.node');
    writeFileSync(addon, 'not a shared library');
    const error = caught(() => openDatabase(dbFile(), migrations, { sqliteAddon: addon }));
    expect(error.code).toBe('sqlite-missing');
    expect(error.message).toContain(`cannot load its database library from ${addon}`);
    expect((error.cause as { code?: string }).code).toBe('ERR_DLOPEN_FAILED');
  });
});
