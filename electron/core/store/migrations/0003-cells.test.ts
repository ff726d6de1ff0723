import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from '../migrate.js';
import { sha, tempDirs } from '../testing/fixtures.js';
import { migration0001 } from './0001-initial.js';
import { migration0002 } from './0002-history-indexes.js';
import { migration0003 } from './0003-cells.js';

const dirs = tempDirs();
afterEach(dirs.cleanup);

/** A database at schema 2 with a watched folder and one capture classified whole. */
function schema2Database() {
  const file = path.join(dirs.make(), 'metascope.db');
  const db = new Database(file);
  db.pragma('foreign_keys = ON');
  migrate(db, file, [migration0001, migration0002]);
  db.exec(`
    INSERT INTO watched_folders (path, added_at) VALUES ('/lab/plate-07', 0);
    INSERT INTO captures (sha256, name, size, state, first_seen_at, updated_at) VALUES ('${sha(1)}', 'A01.tif', 1, 'done', 0, 0);
    INSERT INTO models (id, version, sha256, name, classes, folder, added_at) VALUES ('m', '1', 'h', 'M', '[]', '/m', 0);
    INSERT INTO results (capture_id, model_id, model_version, model_sha256, probabilities, class_name, probability,
                         provider, preprocessing, app_version, duration_ms, classified_at)
      VALUES (1, 'm', '1', 'h', '{}', 'a', 0.5, 'cpu', '{}', '0.1.0', 1, 0);`);
  return { db, file };
}

const cellSql = `INSERT INTO cells (result_id, cell_index, x, y, box_x, box_y, box_width, box_height, area, outline, score,
                                    class_name, probability, probabilities, crop)
  VALUES (1, ?, 10, 10, 0, 0, 20, 20, 300, '[]', 0.9, 'a', 0.8, '{}', '{}')`;

describe('migration 0003 (cells)', () => {
  it('steps user_version from 2 to 3; old results are whole captures and folders choose automatically', () => {
    const { db, file } = schema2Database();
    migrate(db, file, [migration0001, migration0002, migration0003]);
    expect(db.pragma('user_version', { simple: true })).toBe(3);
    expect(db.prepare('SELECT analysis, detector, cell_count, summary FROM results').get()).toEqual({
      analysis: 'one-cell',
      detector: null,
      cell_count: null,
      summary: null,
    });
    expect(db.prepare('SELECT analysis FROM watched_folders').pluck().get()).toBe('auto');
    db.close();
  });

  it('keeps cells of one result unique by index and refuses an unknown analysis', () => {
    const { db, file } = schema2Database();
    migrate(db, file, [migration0001, migration0002, migration0003]);
    db.prepare(cellSql).run(0);
    expect(() => db.prepare(cellSql).run(0)).toThrow(/UNIQUE/);
    expect(() => db.prepare("UPDATE results SET analysis = 'guess'").run()).toThrow(/CHECK/);
    expect(() => db.prepare("UPDATE watched_folders SET analysis = 'guess'").run()).toThrow(/CHECK/);
    db.close();
  });

  it('marks the capture reviewed for a review of the whole capture, not for a review of one cell', () => {
    const { db, file } = schema2Database();
    migrate(db, file, [migration0001, migration0002, migration0003]);
    db.prepare(cellSql).run(0);
    db.exec("INSERT INTO reviews (capture_id, label, created_at, cell_id) VALUES (1, 'not a cell', 0, 1)");
    expect(db.prepare('SELECT reviewed FROM results').pluck().get()).toBe(0);
    db.exec("INSERT INTO reviews (capture_id, label, created_at) VALUES (1, 'a', 0)");
    expect(db.prepare('SELECT reviewed FROM results').pluck().get()).toBe(1);
    db.close();
  });

  it('finds fields by a class fraction through its index', () => {
    const { db, file } = schema2Database();
    migrate(db, file, [migration0001, migration0002, migration0003]);
    db.exec("INSERT INTO result_fractions (result_id, class_name, cells, fraction) VALUES (1, 'a', 3, 0.75)");
    const plan = db
      .prepare(
        "EXPLAIN QUERY PLAN SELECT result_id FROM result_fractions WHERE class_name = 'a' AND fraction >= 0.5",
      )
      .all() as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/result_fractions_by_class/);
    db.close();
  });
});
