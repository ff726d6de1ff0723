import type { Migration } from '../migrate.js';

// Keeps every history page fast at 100,000 results (see history.perf.test.ts).
const schema = `
-- A history page walks the index of its sort order and stops after one page. Every index here
-- also carries each column a filter reads, so filters are checked on index entries alone and no
-- filter can force a sort of all matches or a table read per result.
DROP INDEX results_by_time;
DROP INDEX results_by_probability;
DROP INDEX results_by_class;
DROP INDEX results_by_model;
DROP INDEX results_by_review;
CREATE INDEX results_by_time ON results (classified_at, capture_id, class_name, model_id, probability, reviewed);
CREATE INDEX results_by_probability ON results (probability, capture_id, classified_at, class_name, model_id, reviewed);
CREATE INDEX results_by_class ON results (class_name, classified_at, capture_id, model_id, probability, reviewed);
CREATE INDEX results_by_model ON results (model_id, classified_at, capture_id, class_name, probability, reviewed);
-- The review queue: unreviewed, least confident first.
CREATE INDEX results_by_review ON results (reviewed, probability, capture_id, classified_at, class_name, model_id);
-- Sorting by file name walks captures_by_name and finds each capture's results here.
CREATE INDEX results_by_capture ON results (capture_id, classified_at, class_name, model_id, probability, reviewed);

-- A folder filter reads its captures from this index alone.
DROP INDEX capture_files_by_folder;
CREATE INDEX capture_files_by_folder ON capture_files (folder_id, capture_id);

-- Trigram index of every path, so a file-name search finds its few matches without reading
-- every path (substring match, any case). Kept in step with capture_files by the triggers.
CREATE VIRTUAL TABLE capture_paths USING fts5 (path, content = 'capture_files', content_rowid = 'id', tokenize = 'trigram');
INSERT INTO capture_paths (capture_paths) VALUES ('rebuild');
CREATE TRIGGER capture_paths_insert AFTER INSERT ON capture_files
BEGIN
  INSERT INTO capture_paths (rowid, path) VALUES (NEW.id, NEW.path);
END;
CREATE TRIGGER capture_paths_delete AFTER DELETE ON capture_files
BEGIN
  INSERT INTO capture_paths (capture_paths, rowid, path) VALUES ('delete', OLD.id, OLD.path);
END;
CREATE TRIGGER capture_paths_update AFTER UPDATE OF path ON capture_files
BEGIN
  INSERT INTO capture_paths (capture_paths, rowid, path) VALUES ('delete', OLD.id, OLD.path);
  INSERT INTO capture_paths (rowid, path) VALUES (NEW.id, NEW.path);
END;

-- The term on reviewed could steer SQLite to results_by_review and a scan of every unreviewed
-- result per review; the capture alone names the few rows to mark.
DROP TRIGGER reviews_mark_results;
CREATE TRIGGER reviews_mark_results AFTER INSERT ON reviews
BEGIN
  UPDATE results SET reviewed = 1 WHERE capture_id = NEW.capture_id;
END;
`;

export const migration0002: Migration = {
  version: 2,
  name: 'history-indexes',
  up(db) {
    db.exec(schema);
  },
};
