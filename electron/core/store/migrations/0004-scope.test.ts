import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from '../migrate.js';
import { sha, tempDirs } from '../testing/fixtures.js';
import { migration0001 } from './0001-initial.js';
import { migration0002 } from './0002-history-indexes.js';
import { migration0003 } from './0003-cells.js';
import { migration0004 } from './0004-scope.js';

const dirs = tempDirs();
afterEach(dirs.cleanup);

describe('migration 0004 (scope)', () => {
  it('steps user_version from 3 to 4; earlier results are in scope and not uncertain', () => {
    const file = path.join(dirs.make(), 'metascope.db');
    const db = new Database(file);
    db.pragma('foreign_keys = ON');
    migrate(db, file, [migration0001, migration0002, migration0003]);
    db.exec(`
      INSERT INTO captures (sha256, name, size, state, first_seen_at, updated_at) VALUES ('${sha(1)}', 'a.tif', 1, 'done', 0, 0);
      INSERT INTO models (id, version, sha256, name, classes, folder, added_at) VALUES ('m', '1', 'h', 'M', '[]', '/m', 0);
      INSERT INTO results (capture_id, model_id, model_version, model_sha256, probabilities, class_name, probability,
                           provider, preprocessing, app_version, duration_ms, classified_at)
        VALUES (1, 'm', '1', 'h', '{}', 'a', 0.5, 'cpu', '{}', '0.1.0', 1, 0);`);
    migrate(db, file, [migration0001, migration0002, migration0003, migration0004]);
    expect(db.pragma('user_version', { simple: true })).toBe(4);
    expect(db.prepare('SELECT in_scope, scope, uncertain FROM results').get()).toEqual({
      in_scope: 1,
      scope: null,
      uncertain: 0,
    });
    expect(() => db.prepare('UPDATE results SET in_scope = 2').run()).toThrow(/CHECK/);
    expect(() => db.prepare("UPDATE results SET scope = 'not json'").run()).toThrow(/CHECK/);
    db.close();
  });
});
