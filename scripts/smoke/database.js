// Reads the app's database from outside it while the app runs, and checks it was closed cleanly.
// Node's own SQLite (node:sqlite, Node 22.13 and later) needs no addon, so it works whichever ABI
// node_modules' better-sqlite3 was last built for; better-sqlite3 is the fallback on older Node.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';

/** Opens an existing database file, read-only unless asked otherwise. */
export async function openReader(file, { readOnly = true } = {}) {
  let sqlite = null;
  try {
    sqlite = await import('node:sqlite');
  } catch {
    // Older Node: no node:sqlite (or only behind --experimental-sqlite).
  }
  if (sqlite) {
    const db = new sqlite.DatabaseSync(file, { readOnly });
    return {
      via: 'node:sqlite',
      get: (sql, ...params) => db.prepare(sql).get(...params),
      close: () => db.close(),
    };
  }
  let Database;
  try {
    Database = createRequire(import.meta.url)('better-sqlite3');
    const db = new Database(file, { readonly: readOnly, fileMustExist: true });
    return {
      via: 'better-sqlite3',
      get: (sql, ...params) => db.prepare(sql).get(...params),
      close: () => db.close(),
    };
  } catch (error) {
    if (!Database) throw error;
    throw new Error(
      `The database cannot be read with this Node (${process.version}): ${error.message}. Use Node 22.13 or later, which has node:sqlite built in.`,
    );
  }
}

const captureQuery = `
  SELECT c.state AS state, c.failure_reason AS failureReason, r.class_name AS className,
         r.probability AS probability, r.provider AS provider, r.model_id AS modelId,
         r.model_version AS modelVersion, r.duration_ms AS durationMs
  FROM captures c LEFT JOIN results r ON r.capture_id = c.id
  WHERE c.sha256 = ?
  ORDER BY r.id DESC
  LIMIT 1`;

/** The capture's state and newest result, or null while the capture (or the schema) is not there yet. */
export function readCapture(reader, sha256) {
  try {
    return reader.get(captureQuery, sha256) ?? null;
  } catch (error) {
    if (/no such table/i.test(error.message)) return null;
    throw error;
  }
}

/**
 * Waits until the capture has a result, reading the database the app writes. Fails at once when
 * the capture failed or the app stopped, and after `timeoutMs` with what it saw last.
 */
export async function waitForResult({
  database,
  sha256,
  timeoutMs,
  intervalMs = 250,
  isRunning = () => true,
}) {
  const deadline = Date.now() + timeoutMs;
  let reader = null;
  let seen = 'the database was not created';
  try {
    for (;;) {
      if (!isRunning()) throw new Error(`MetaScope stopped before the capture had a result (${seen}).`);
      if (!reader && existsSync(database)) reader = await openReader(database);
      if (reader) {
        const row = readCapture(reader, sha256);
        if (row?.state === 'failed')
          throw new Error(`MetaScope could not classify the capture: ${row.failureReason}`);
        if (row?.state === 'done' && row.className !== null) return row;
        seen = row ? `the capture was ${row.state}` : 'the capture was not seen yet';
      }
      if (Date.now() >= deadline)
        throw new Error(`The capture had no result within ${Math.round(timeoutMs / 1000)} s (${seen}).`);
      await sleep(intervalMs);
    }
  } finally {
    reader?.close();
  }
}

/**
 * After the app has exited: the problems with how it left the database (none when it closed it).
 * A clean close folds the write-ahead log back in and removes it; the result must still be there.
 */
export async function closedCleanly(database, sha256) {
  const problems = [];
  if (existsSync(`${database}-wal`))
    problems.push('The database still has its write-ahead log (-wal): MetaScope did not close it.');
  const reader = await openReader(database, { readOnly: false });
  try {
    const integrity = reader.get('PRAGMA integrity_check');
    const verdict = integrity && Object.values(integrity)[0];
    if (verdict !== 'ok') problems.push(`The database failed its integrity check: ${verdict}.`);
    if (readCapture(reader, sha256)?.state !== 'done')
      problems.push("The capture's result was not in the database after MetaScope closed.");
  } finally {
    reader.close();
  }
  return problems;
}
