import { closeSync, fsyncSync, openSync, renameSync, rmSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { StoreError } from './errors.js';

/** One schema step; `version` is the `user_version` the database has after it. */
export interface Migration {
  version: number;
  name: string;
  up(db: Database.Database): void;
}

export function backupPath(file: string, version: number): string {
  return `${file}.before-v${version}.bak`;
}

/**
 * Brings the database at `file` up to the last of `migrations`, one transaction per step.
 * A database from a newer MetaScope is refused untouched; an existing one is copied first.
 */
export function migrate(db: Database.Database, file: string, migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(`Migration "${m.name}" is numbered ${m.version}, expected ${i + 1}.`);
  });
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new StoreError(
      'newer-schema',
      `This database was written by a newer MetaScope (schema ${current}); this version understands up to ${latest}. Update MetaScope or choose another data folder.`,
    );
  }
  const pending = migrations.filter((m) => m.version > current);
  if (pending.length === 0) return;
  const hasData = (db.prepare('SELECT count(*) FROM sqlite_schema').pluck().get() as number) > 0;
  const backup = hasData && !db.memory ? backupPath(file, latest) : null;
  if (backup) writeBackup(db, backup);
  for (const m of pending) {
    try {
      db.transaction(() => {
        m.up(db);
        // A step that rebuilds tables must leave every reference intact.
        if ((db.pragma('foreign_key_check') as unknown[]).length > 0)
          throw new Error('it left broken references behind');
        db.pragma(`user_version = ${m.version}`);
      }).immediate();
    } catch (error) {
      const kept = backup ? ` A copy from before the update is at ${backup}.` : '';
      throw new StoreError(
        'migration-failed',
        `Updating the database to schema ${m.version} (${m.name}) failed and was undone; the data is as it was at schema ${m.version - 1}.${kept} Cause: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
}

/** A consistent snapshot, written beside its final name and renamed so no half-copy is left behind. */
function writeBackup(db: Database.Database, backup: string): void {
  const partial = `${backup}.partial`;
  rmSync(partial, { force: true });
  db.prepare('VACUUM INTO ?').run(partial);
  const fd = openSync(partial, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(partial, backup);
}
