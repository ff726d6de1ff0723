import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from '../migrate.js';
import { sha, tempDirs } from '../testing/fixtures.js';
import { migration0001 } from './0001-initial.js';
import { migration0002 } from './0002-history-indexes.js';

const dirs = tempDirs();
afterEach(dirs.cleanup);

/** A database at schema 1 with two paths of one capture, a result and no review yet. */
function schema1Database() {
  const file = path.join(dirs.make(), 'metascope.db');
  const db = new Database(file);
  db.pragma('foreign_keys = ON');
  migrate(db, file, [migration0001]);
  db.exec(`
    INSERT INTO captures (sha256, name, size, state, first_seen_at, updated_at) VALUES ('${sha(1)}', 'A1.tif', 1, 'done', 0, 0);
    INSERT INTO capture_files (path, capture_id, size, mtime_ms, seen_at) VALUES
      ('/lab/Plate-07/A1.tif', 1, 1, 0, 0), ('/archive/plate-07 copy/A1.tif', 1, 1, 0, 0);
    INSERT INTO models (id, version, sha256, name, classes, folder, added_at) VALUES ('m', '1', 'h', 'M', '[]', '/m', 0);
    INSERT INTO results (capture_id, model_id, model_version, model_sha256, probabilities, class_name, probability,
                         provider, preprocessing, app_version, duration_ms, classified_at)
      VALUES (1, 'm', '1', 'h', '{}', 'a', 0.5, 'cpu', '{}', '0.1.0', 1, 0);`);
  return { db, file };
}

const matching = (db: Database.Database, text: string) =>
  db.prepare('SELECT path FROM capture_paths WHERE capture_paths MATCH ? ORDER BY rowid').pluck().all(`"${text}"`);

describe('migration 0002 (history indexes)', () => {
  it('steps user_version from 1 to 2, keeping the data', () => {
    const { db, file } = schema1Database();
    migrate(db, file, [migration0001, migration0002]);
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    expect(db.prepare('SELECT count(*) FROM results').pluck().get()).toBe(1);
    const columns = (index: string) => db.prepare(`SELECT name FROM pragma_index_info('${index}')`).pluck().all();
    expect(columns('results_by_time')).toEqual(['classified_at', 'capture_id', 'class_name', 'model_id', 'probability', 'reviewed']);
    expect(columns('results_by_capture')).toEqual(['capture_id', 'classified_at', 'class_name', 'model_id', 'probability', 'reviewed']);
    expect(columns('capture_files_by_folder')).toEqual(['folder_id', 'capture_id']);
    db.close();
  });

  it('indexes the paths already there and follows every later change', () => {
    const { db, file } = schema1Database();
    migrate(db, file, [migration0001, migration0002]);
    expect(matching(db, 'PLATE-07')).toEqual(['/lab/Plate-07/A1.tif', '/archive/plate-07 copy/A1.tif']);
    db.prepare("INSERT INTO capture_files (path, size, mtime_ms, seen_at) VALUES ('/lab/plate-07/B2.tif', 1, 0, 0)").run();
    db.prepare("UPDATE capture_files SET path = '/lab/plate-08/A1.tif' WHERE path = '/lab/Plate-07/A1.tif'").run();
    db.prepare("DELETE FROM capture_files WHERE path LIKE '/archive/%'").run();
    expect(matching(db, 'plate-07')).toEqual(['/lab/plate-07/B2.tif']);
    expect(matching(db, 'plate-08')).toEqual(['/lab/plate-08/A1.tif']);
    db.close();
  });

  it('still marks every result of a reviewed capture', () => {
    const { db, file } = schema1Database();
    migrate(db, file, [migration0001, migration0002]);
    db.exec(`
      INSERT INTO models (id, version, sha256, name, classes, folder, added_at) VALUES ('n', '1', 'k', 'N', '[]', '/n', 0);
      INSERT INTO results (capture_id, model_id, model_version, model_sha256, probabilities, class_name, probability,
                           provider, preprocessing, app_version, duration_ms, classified_at)
        VALUES (1, 'n', '1', 'k', '{}', 'a', 0.5, 'cpu', '{}', '0.1.0', 1, 0);
      INSERT INTO reviews (capture_id, label, created_at) VALUES (1, 'a', 0);`);
    expect(db.prepare('SELECT reviewed FROM results ORDER BY id').pluck().all()).toEqual([1, 1]);
    db.close();
  });
});
