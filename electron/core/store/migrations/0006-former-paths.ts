import type { Migration } from '../migrate.js';

// A capture is found by any path it ever had. The intake forgets a sighting when its file leaves
// the folder (moved, renamed, archived), and a path that now holds other content points elsewhere:
// either way the path the capture had is kept here, with a trigram index like capture_paths (0002),
// so a search for where a file used to be still finds it.
const schema = `
CREATE TABLE former_paths (
  id INTEGER PRIMARY KEY,
  capture_id INTEGER NOT NULL REFERENCES captures (id),
  path TEXT NOT NULL,
  gone_at INTEGER NOT NULL,
  UNIQUE (capture_id, path)
) STRICT;
CREATE VIRTUAL TABLE former_path_search USING fts5 (path, content = 'former_paths', content_rowid = 'id', tokenize = 'trigram');
CREATE TRIGGER former_path_search_insert AFTER INSERT ON former_paths
BEGIN
  INSERT INTO former_path_search (rowid, path) VALUES (NEW.id, NEW.path);
END;

CREATE TRIGGER capture_files_keep_gone AFTER DELETE ON capture_files WHEN OLD.capture_id IS NOT NULL
BEGIN
  INSERT OR IGNORE INTO former_paths (capture_id, path, gone_at)
    VALUES (OLD.capture_id, OLD.path, CAST(unixepoch('subsec') * 1000 AS INTEGER));
END;
CREATE TRIGGER capture_files_keep_replaced AFTER UPDATE OF capture_id ON capture_files
  WHEN OLD.capture_id IS NOT NULL AND NEW.capture_id IS NOT OLD.capture_id
BEGIN
  INSERT OR IGNORE INTO former_paths (capture_id, path, gone_at)
    VALUES (OLD.capture_id, OLD.path, CAST(unixepoch('subsec') * 1000 AS INTEGER));
END;
`;

export const migration0006: Migration = {
  version: 6,
  name: 'former-paths',
  up(db) {
    db.exec(schema);
  },
};
