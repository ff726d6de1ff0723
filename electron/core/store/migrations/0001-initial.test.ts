import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from '../migrate.js';
import { sha, tempDirs } from '../testing/fixtures.js';
import { migration0001 } from './0001-initial.js';

const dirs = tempDirs();
afterEach(dirs.cleanup);

function freshDatabase() {
  const file = path.join(dirs.make(), 'metascope.db');
  const db = new Database(file);
  db.pragma('foreign_keys = ON');
  return { db, file };
}

const names = (db: Database.Database, type: string) =>
  db.prepare("SELECT name FROM sqlite_schema WHERE type = ? AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .pluck()
    .all(type);

describe('migration 0001 (initial)', () => {
  it('steps user_version from 0 to 1 and creates the tables, indexes and triggers', () => {
    const { db, file } = freshDatabase();
    expect(db.pragma('user_version', { simple: true })).toBe(0);
    migrate(db, file, [migration0001]);
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    expect(names(db, 'table')).toEqual(['capture_files', 'captures', 'models', 'results', 'reviews', 'watched_folders']);
    expect(names(db, 'index')).toEqual([
      'capture_files_by_capture',
      'capture_files_by_folder',
      'captures_by_name',
      'captures_by_state',
      'captures_by_update',
      'results_by_class',
      'results_by_model',
      'results_by_probability',
      'results_by_review',
      'results_by_time',
      'reviews_by_capture',
    ]);
    expect(names(db, 'trigger')).toEqual(['reviews_mark_results', 'reviews_no_delete', 'reviews_no_update']);
    db.close();
  });

  it('checks states, JSON, types and references', () => {
    const { db, file } = freshDatabase();
    migrate(db, file, [migration0001]);
    const capture = db.prepare(
      `INSERT INTO captures (sha256, name, size, state, first_seen_at, updated_at) VALUES (?, 'a.tif', 1, ?, 0, 0)`,
    );
    expect(() => capture.run(sha(1), 'lost')).toThrow(/CHECK constraint/);
    expect(() => capture.run('short', 'queued')).toThrow(/CHECK constraint/);
    capture.run(sha(1), 'queued');
    expect(() =>
      db.prepare("INSERT INTO captures (sha256, name, size, state, first_seen_at, updated_at) VALUES (?, 'b', 'big', 'queued', 0, 0)").run(sha(2)),
    ).toThrow(/cannot store TEXT value in INTEGER column/);
    expect(() =>
      db.prepare("INSERT INTO reviews (capture_id, label, created_at) VALUES (9, 'x', 0)").run(),
    ).toThrow(/FOREIGN KEY/);
    db.prepare(
      "INSERT INTO models (id, version, sha256, name, classes, folder, added_at) VALUES ('m', '1', 'h', 'M', '[\"a\",\"b\"]', '/m', 0)",
    ).run();
    const result = db.prepare(
      `INSERT INTO results (capture_id, model_id, model_version, model_sha256, probabilities, class_name,
         probability, provider, preprocessing, app_version, duration_ms, classified_at)
       VALUES (?, 'm', ?, 'h', ?, 'a', 0.5, 'cpu', '{}', '0.1.0', 1, 0)`,
    );
    expect(() => result.run(1, '1', 'not json')).toThrow(/CHECK constraint/);
    expect(() => result.run(1, '2', '{"a":0.5}')).toThrow(/FOREIGN KEY/);
    expect(() => result.run(2, '1', '{"a":0.5}')).toThrow(/FOREIGN KEY/);
    result.run(1, '1', '{"a":0.5}');
    expect(() => result.run(1, '1', '{"a":0.5}')).toThrow(/UNIQUE/);
    db.close();
  });

  it('makes reviews append-only and marks the capture\'s results reviewed', () => {
    const { db, file } = freshDatabase();
    migrate(db, file, [migration0001]);
    db.exec(`
      INSERT INTO captures (sha256, name, size, state, first_seen_at, updated_at) VALUES ('${sha(1)}', 'a', 1, 'done', 0, 0);
      INSERT INTO models (id, version, sha256, name, classes, folder, added_at) VALUES ('m', '1', 'h', 'M', '[]', '/m', 0);
      INSERT INTO results (capture_id, model_id, model_version, model_sha256, probabilities, class_name, probability,
                           provider, preprocessing, app_version, duration_ms, classified_at)
        VALUES (1, 'm', '1', 'h', '{}', 'a', 0.5, 'cpu', '{}', '0.1.0', 1, 0);`);
    expect(db.prepare('SELECT reviewed FROM results').pluck().get()).toBe(0);
    db.prepare("INSERT INTO reviews (capture_id, label, created_at) VALUES (1, 'infected', 0)").run();
    expect(db.prepare('SELECT reviewed FROM results').pluck().get()).toBe(1);
    expect(() => db.prepare("UPDATE reviews SET label = 'healthy'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM reviews').run()).toThrow(/append-only/);
    expect(db.prepare('SELECT label FROM reviews').pluck().all()).toEqual(['infected']);
    db.close();
  });
});
