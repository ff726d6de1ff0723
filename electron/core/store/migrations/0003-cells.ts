import type { Migration } from '../migrate.js';

// Whole fields: a result may be the sum of many cells, each found by a detector and classified on
// its own. Existing results were all of whole captures ('one-cell'), which the defaults say.
const schema = `
ALTER TABLE watched_folders ADD COLUMN analysis TEXT NOT NULL DEFAULT 'auto'
  CHECK (analysis IN ('auto', 'one-cell', 'find-cells'));

ALTER TABLE results ADD COLUMN analysis TEXT NOT NULL DEFAULT 'one-cell' CHECK (analysis IN ('one-cell', 'find-cells'));
-- The detector that found the cells ({id, version, sha256}); null for a capture classified whole.
ALTER TABLE results ADD COLUMN detector TEXT CHECK (detector IS NULL OR json_valid(detector));
-- Fields only: how many cells, and the summary (counts, fractions, mean probability) as shown.
ALTER TABLE results ADD COLUMN cell_count INTEGER;
ALTER TABLE results ADD COLUMN summary TEXT CHECK (summary IS NULL OR json_valid(summary));

-- Each cell of a field's result, in the capture's pixels, with the window cut for the classifier.
CREATE TABLE cells (
  id INTEGER PRIMARY KEY,
  result_id INTEGER NOT NULL REFERENCES results (id),
  cell_index INTEGER NOT NULL,
  x REAL NOT NULL,
  y REAL NOT NULL,
  box_x INTEGER NOT NULL,
  box_y INTEGER NOT NULL,
  box_width INTEGER NOT NULL,
  box_height INTEGER NOT NULL,
  area INTEGER NOT NULL,
  outline TEXT NOT NULL CHECK (json_valid(outline)),
  score REAL NOT NULL,
  class_name TEXT NOT NULL,
  probability REAL NOT NULL,
  probabilities TEXT NOT NULL CHECK (json_valid(probabilities)),
  crop TEXT NOT NULL CHECK (json_valid(crop)),
  UNIQUE (result_id, cell_index)
) STRICT;

-- A field's share of cells per class, so History can filter and sort by a class's fraction
-- through an index instead of parsing every summary.
CREATE TABLE result_fractions (
  result_id INTEGER NOT NULL REFERENCES results (id),
  class_name TEXT NOT NULL,
  cells INTEGER NOT NULL,
  fraction REAL NOT NULL,
  PRIMARY KEY (result_id, class_name)
) STRICT, WITHOUT ROWID;
CREATE INDEX result_fractions_by_class ON result_fractions (class_name, fraction, result_id);

-- A review of one cell names it; a review of the whole capture has no cell. Only the latter marks
-- the capture's results as reviewed.
ALTER TABLE reviews ADD COLUMN cell_id INTEGER REFERENCES cells (id);
CREATE INDEX reviews_by_cell ON reviews (cell_id, id) WHERE cell_id IS NOT NULL;
DROP TRIGGER reviews_mark_results;
CREATE TRIGGER reviews_mark_results AFTER INSERT ON reviews WHEN NEW.cell_id IS NULL
BEGIN
  UPDATE results SET reviewed = 1 WHERE capture_id = NEW.capture_id;
END;
`;

export const migration0003: Migration = {
  version: 3,
  name: 'cells',
  up(db) {
    db.exec(schema);
  },
};
