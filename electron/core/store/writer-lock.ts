import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { guard, StoreError } from './errors.js';

/** The MetaScope that writes to a database: named to a second one that tries to. */
export interface Holder {
  /** What it is, in words: "metascope watch", "the MetaScope app". */
  program: string;
  pid: number;
  /** When it took the database (ms since 1970). */
  since: number;
}

export interface WriterLock {
  release(): void;
}

/**
 * Makes this process the only MetaScope that watches, classifies and saves into `file`, until
 * `release`. Two writers would each queue the other's work again as "interrupted" and classify it
 * twice. The lock is SQLite's own file lock on a small file beside the database, held for the whole
 * run: the system lifts it the moment its holder exits, even when killed, so the next start takes
 * over (and queues again what the killed one left unfinished). Readers (`history`, `export`) need no lock.
 */
export function lockForWriting(file: string, program: string): WriterLock {
  const lockFile = `${file}.lock`;
  const holderFile = `${lockFile}.json`;
  return guard(file, () => {
    mkdirSync(path.dirname(file), { recursive: true });
    const lock = new Database(lockFile, { timeout: 0 });
    try {
      // Exclusive mode keeps the lock after the transaction; an unchanged file is not written to.
      lock.pragma('locking_mode = EXCLUSIVE');
      lock.pragma('journal_mode = MEMORY');
      lock.exec('BEGIN EXCLUSIVE; COMMIT');
    } catch (error) {
      lock.close();
      if (/^SQLITE_(BUSY|LOCKED)/.test(String((error as { code?: unknown }).code))) {
        throw new StoreError('in-use', inUseSentence(file, readHolder(holderFile)), { cause: error });
      }
      throw error;
    }
    writeHolder(holderFile, { program, pid: process.pid, since: Date.now() });
    return {
      // The lock file itself stays: deleting it while another process opens it would give two holders.
      release() {
        if (!lock.open) return;
        rmSync(holderFile, { force: true });
        lock.close();
      },
    };
  });
}

function inUseSentence(file: string, holder: Holder | null): string {
  const who = holder
    ? ` (${holder.program}, process ${holder.pid}, since ${new Date(holder.since).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' })})`
    : '';
  return `MetaScope is already running on the database ${file}${who}: only one MetaScope at a time can use a database, so close that one first.`;
}

/** Only for the sentence above: a lock taken a moment ago may not have written it yet. */
function readHolder(holderFile: string): Holder | null {
  try {
    const holder = JSON.parse(readFileSync(holderFile, 'utf8')) as Partial<Holder>;
    const valid =
      typeof holder.program === 'string' && Number.isInteger(holder.pid) && Number.isFinite(holder.since);
    return valid ? (holder as Holder) : null;
  } catch {
    return null;
  }
}

function writeHolder(holderFile: string, holder: Holder): void {
  const partial = `${holderFile}.partial`;
  try {
    writeFileSync(partial, JSON.stringify(holder));
    renameSync(partial, holderFile);
  } catch {
    // Only the second instance's sentence loses its detail; a full disk must not stop a start.
  }
}
