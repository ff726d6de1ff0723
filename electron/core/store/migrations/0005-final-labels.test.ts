import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from '../migrate.js';
import { sha, tempDirs } from '../testing/fixtures.js';
import { migrations } from './index.js';

const dirs = tempDirs();
afterEach(dirs.cleanup);

describe('migration 0005 (final labels)', () => {
  it('steps user_version from 4 to 5 and gives every result its final label', () => {
    const file = path.join(dirs.make(), 'metascope.db');
    const db = new Database(file);
    db.pragma('foreign_keys = ON');
    migrate(db, file, migrations.slice(0, 4));
    db.exec(`
      INSERT INTO captures (sha256, name, size, state, first_seen_at, updated_at) VALUES
        ('${sha(1)}', 'a.tif', 1, 'done', 0, 0), ('${sha(2)}', 'b.tif', 1, 'done', 0, 0);
      INSERT INTO models (id, version, sha256, name, classes, folder, added_at) VALUES ('m', '1', 'h', 'M', '[]', '/m', 0);
      INSERT INTO results (capture_id, model_id, model_version, model_sha256, probabilities, class_name, probability,
                           provider, preprocessing, app_version, duration_ms, classified_at)
        VALUES (1, 'm', '1', 'h', '{}', 'a', 0.5, 'cpu', '{}', '0.1.0', 1, 0),
               (2, 'm', '1', 'h', '{}', 'a', 0.5, 'cpu', '{}', '0.1.0', 1, 0);
      INSERT INTO reviews (capture_id, label, created_at) VALUES (1, 'b', 0), (1, 'c', 1);`);
    migrate(db, file, migrations.slice(0, 5));
    expect(db.pragma('user_version', { simple: true })).toBe(5);
    expect(db.prepare('SELECT capture_id, final_label, reviewed FROM results ORDER BY id').all()).toEqual([
      { capture_id: 1, final_label: 'c', reviewed: 1 },
      { capture_id: 2, final_label: 'a', reviewed: 0 },
    ]);
    // Withdrawing the latest review brings the one before back; a review is withdrawn only once.
    db.exec("INSERT INTO reviews (capture_id, label, created_at, withdraws) VALUES (1, '', 2, 2)");
    expect(db.prepare('SELECT final_label FROM results WHERE capture_id = 1').pluck().get()).toBe('b');
    expect(() =>
      db.exec("INSERT INTO reviews (capture_id, label, created_at, withdraws) VALUES (1, '', 3, 2)"),
    ).toThrow(/UNIQUE/);
    db.close();
  });
});
