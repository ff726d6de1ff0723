import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from '../migrate.js';
import { sha, tempDirs } from '../testing/fixtures.js';
import { migrations } from './index.js';

const dirs = tempDirs();
afterEach(dirs.cleanup);

describe('migration 0006 (former paths)', () => {
  it('keeps the path a capture had when its file is moved away or replaced, and finds it by any part', () => {
    const file = path.join(dirs.make(), 'metascope.db');
    const db = new Database(file);
    db.pragma('foreign_keys = ON');
    migrate(db, file, migrations.slice(0, 5));
    db.exec(`
      INSERT INTO captures (sha256, name, size, state, first_seen_at, updated_at) VALUES
        ('${sha(1)}', 'A1.tif', 1, 'done', 0, 0), ('${sha(2)}', 'B1.tif', 1, 'done', 0, 0);
      INSERT INTO capture_files (path, capture_id, size, mtime_ms, seen_at) VALUES
        ('/lab/plate-07/A1.tif', 1, 1, 0, 0), ('/lab/plate-07/B1.tif', 2, 1, 0, 0), ('/lab/settling.tif', NULL, 1, 0, 0);`);
    migrate(db, file, migrations.slice(0, 6));
    expect(db.pragma('user_version', { simple: true })).toBe(6);

    // Moved: the reconciler forgets the old sighting and records the new path.
    db.exec(`DELETE FROM capture_files WHERE path = '/lab/plate-07/A1.tif';
             INSERT INTO capture_files (path, capture_id, size, mtime_ms, seen_at) VALUES ('/archive/2026/A1.tif', 1, 1, 0, 0);`);
    // Overwritten with other content: the path now settles again, pointing at nothing yet.
    db.exec(`UPDATE capture_files SET capture_id = NULL WHERE path = '/lab/plate-07/B1.tif'`);
    // A sighting that never had content leaves nothing behind.
    db.exec(`DELETE FROM capture_files WHERE path = '/lab/settling.tif'`);

    const formerly = (text: string) =>
      db
        .prepare(
          `SELECT p.capture_id FROM former_path_search s JOIN former_paths p ON p.id = s.rowid
           WHERE former_path_search MATCH ? ORDER BY p.capture_id`,
        )
        .pluck()
        .all(`"${text}"`);
    expect(formerly('plate-07')).toEqual([1, 2]);
    expect(formerly('PLATE-07/a1')).toEqual([1]);
    expect(formerly('settling')).toEqual([]);
    expect(db.prepare('SELECT capture_id, path FROM former_paths ORDER BY id').all()).toEqual([
      { capture_id: 1, path: '/lab/plate-07/A1.tif' },
      { capture_id: 2, path: '/lab/plate-07/B1.tif' },
    ]);
    // Moved away twice from the same place: kept once.
    db.exec(`INSERT INTO capture_files (path, capture_id, size, mtime_ms, seen_at) VALUES ('/lab/plate-07/A1.tif', 1, 1, 0, 0);
             DELETE FROM capture_files WHERE path = '/lab/plate-07/A1.tif';`);
    expect(db.prepare('SELECT count(*) FROM former_paths').pluck().get()).toBe(2);
    db.close();
  });
});
