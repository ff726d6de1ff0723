import type { Migration } from '../migrate.js';

// Times are milliseconds since 1970 (UTC); JSON columns hold text checked by json_valid.
// Nothing here is ever deleted except file sightings: captures, results and reviews are the record.
const schema = `
CREATE TABLE watched_folders (
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL UNIQUE,
  recursive INTEGER NOT NULL DEFAULT 1 CHECK (recursive IN (0, 1)),
  enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  state TEXT NOT NULL DEFAULT 'available' CHECK (state IN ('available', 'unavailable')),
  unavailable_reason TEXT,
  added_at INTEGER NOT NULL,
  last_scan_at INTEGER
) STRICT;

-- One row per distinct content. A file still settling has no capture yet (it is 'discovered').
-- Other tables refer to a capture by its integer id: joins and indexes on 64-character keys made
-- the history several times slower at 100,000 results.
CREATE TABLE captures (
  id INTEGER PRIMARY KEY,
  sha256 TEXT NOT NULL UNIQUE CHECK (length(sha256) = 64),
  -- File name it was first seen under: kept for sorting and display after the file is gone.
  name TEXT NOT NULL COLLATE NOCASE,
  size INTEGER NOT NULL,
  width INTEGER,
  height INTEGER,
  bit_depth INTEGER,
  channels INTEGER,
  pages INTEGER,
  format TEXT,
  state TEXT NOT NULL CHECK (state IN ('queued', 'processing', 'done', 'failed')),
  failure_reason TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  first_seen_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX captures_by_state ON captures (state, first_seen_at);
CREATE INDEX captures_by_name ON captures (name);
CREATE INDEX captures_by_update ON captures (updated_at);

-- Every path where content was seen. seen_at is when the current size and mtime were first seen,
-- so the intake can tell a settled file from one still being written.
CREATE TABLE capture_files (
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL UNIQUE,
  folder_id INTEGER REFERENCES watched_folders (id) ON DELETE SET NULL,
  capture_id INTEGER REFERENCES captures (id),
  size INTEGER NOT NULL,
  mtime_ms REAL NOT NULL,
  seen_at INTEGER NOT NULL
) STRICT;
CREATE INDEX capture_files_by_capture ON capture_files (capture_id, folder_id);
CREATE INDEX capture_files_by_folder ON capture_files (folder_id);

CREATE TABLE models (
  id TEXT NOT NULL,
  version TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  name TEXT NOT NULL,
  classes TEXT NOT NULL CHECK (json_valid(classes)),
  folder TEXT NOT NULL,
  added_at INTEGER NOT NULL,
  PRIMARY KEY (id, version, sha256)
) STRICT;

-- probability is that of class_name, the class decided; no range check, so that no result of
-- a model with an unusual output is ever refused.
CREATE TABLE results (
  id INTEGER PRIMARY KEY,
  capture_id INTEGER NOT NULL REFERENCES captures (id),
  model_id TEXT NOT NULL,
  model_version TEXT NOT NULL,
  model_sha256 TEXT NOT NULL,
  probabilities TEXT NOT NULL CHECK (json_valid(probabilities)),
  class_name TEXT NOT NULL,
  probability REAL NOT NULL,
  provider TEXT NOT NULL,
  preprocessing TEXT NOT NULL CHECK (json_valid(preprocessing)),
  app_version TEXT NOT NULL,
  duration_ms REAL NOT NULL,
  classified_at INTEGER NOT NULL,
  -- 1 once the capture has a review (set by reviews_mark_results): the review queue and the
  -- reviewed filter then read an index instead of probing reviews for every result.
  reviewed INTEGER NOT NULL DEFAULT 0 CHECK (reviewed IN (0, 1)),
  UNIQUE (capture_id, model_sha256),
  FOREIGN KEY (model_id, model_version, model_sha256) REFERENCES models (id, version, sha256)
) STRICT;
-- Each sort key of the history, and the filters that narrow most, lead an index.
CREATE INDEX results_by_time ON results (classified_at);
CREATE INDEX results_by_probability ON results (probability);
CREATE INDEX results_by_class ON results (class_name, classified_at);
CREATE INDEX results_by_model ON results (model_id, classified_at);
CREATE INDEX results_by_review ON results (reviewed, probability);

CREATE TABLE reviews (
  id INTEGER PRIMARY KEY,
  capture_id INTEGER NOT NULL REFERENCES captures (id),
  label TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  reviewer TEXT,
  created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX reviews_by_capture ON reviews (capture_id, id);
CREATE TRIGGER reviews_mark_results AFTER INSERT ON reviews
BEGIN
  UPDATE results SET reviewed = 1 WHERE capture_id = NEW.capture_id AND reviewed = 0;
END;
-- A person's judgement is evidence: a correction is a new row, never an edit.
CREATE TRIGGER reviews_no_update BEFORE UPDATE ON reviews
BEGIN
  SELECT RAISE(ABORT, 'reviews are append-only: add a new review instead of changing one');
END;
CREATE TRIGGER reviews_no_delete BEFORE DELETE ON reviews
BEGIN
  SELECT RAISE(ABORT, 'reviews are append-only: they cannot be deleted');
END;
`;

export const migration0001: Migration = {
  version: 1,
  name: 'initial',
  up(db) {
    db.exec(schema);
  },
};
