import type { Migration } from '../migrate.js';

// One truth per capture: its final label is the latest review a person did not take back, else the
// model's class. It is kept on each result by triggers, so counts, filters and sorts read an index
// instead of the reviews. An undo is a new review row that withdraws an earlier one: reviews stay
// append-only, and what was decided, then undone, stays on record.
const schema = `
ALTER TABLE reviews ADD COLUMN withdraws INTEGER REFERENCES reviews (id);
CREATE UNIQUE INDEX reviews_withdrawals ON reviews (withdraws) WHERE withdraws IS NOT NULL;
CREATE VIEW standing_reviews AS
  SELECT * FROM reviews v
  WHERE v.withdraws IS NULL AND NOT EXISTS (SELECT 1 FROM reviews w WHERE w.withdraws = v.id);

ALTER TABLE results ADD COLUMN final_label TEXT;
UPDATE results SET final_label = COALESCE(
  (SELECT v.label FROM standing_reviews v WHERE v.capture_id = results.capture_id AND v.cell_id IS NULL
   ORDER BY v.id DESC LIMIT 1),
  class_name);

DROP TRIGGER reviews_mark_results;
-- A withdrawal names the same capture and cell as the review it takes back.
CREATE TRIGGER reviews_settle_results AFTER INSERT ON reviews WHEN NEW.cell_id IS NULL
BEGIN
  UPDATE results SET
    reviewed = EXISTS (SELECT 1 FROM standing_reviews v WHERE v.capture_id = NEW.capture_id AND v.cell_id IS NULL),
    final_label = COALESCE(
      (SELECT v.label FROM standing_reviews v WHERE v.capture_id = NEW.capture_id AND v.cell_id IS NULL
       ORDER BY v.id DESC LIMIT 1),
      class_name)
  WHERE capture_id = NEW.capture_id;
END;
-- A new result, or a result classified again, starts from the capture's standing review if it has one.
CREATE TRIGGER results_settle_new AFTER INSERT ON results
BEGIN
  UPDATE results SET
    reviewed = EXISTS (SELECT 1 FROM standing_reviews v WHERE v.capture_id = NEW.capture_id AND v.cell_id IS NULL),
    final_label = COALESCE(
      (SELECT v.label FROM standing_reviews v WHERE v.capture_id = NEW.capture_id AND v.cell_id IS NULL
       ORDER BY v.id DESC LIMIT 1),
      NEW.class_name)
  WHERE id = NEW.id;
END;
CREATE TRIGGER results_settle_rerun AFTER UPDATE OF class_name ON results
BEGIN
  UPDATE results SET final_label = COALESCE(
      (SELECT v.label FROM standing_reviews v WHERE v.capture_id = NEW.capture_id AND v.cell_id IS NULL
       ORDER BY v.id DESC LIMIT 1),
      NEW.class_name)
  WHERE id = NEW.id;
END;

-- The history's indexes carry the final label where they carried the model's class (see 0002).
DROP INDEX results_by_time;
DROP INDEX results_by_probability;
DROP INDEX results_by_class;
DROP INDEX results_by_model;
DROP INDEX results_by_review;
DROP INDEX results_by_capture;
CREATE INDEX results_by_time ON results (classified_at, capture_id, final_label, model_id, probability, reviewed);
CREATE INDEX results_by_probability ON results (probability, capture_id, classified_at, final_label, model_id, reviewed);
CREATE INDEX results_by_label ON results (final_label, classified_at, capture_id, model_id, probability, reviewed);
CREATE INDEX results_by_model ON results (model_id, classified_at, capture_id, final_label, probability, reviewed);
CREATE INDEX results_by_review ON results (reviewed, probability, capture_id, classified_at, final_label, model_id);
CREATE INDEX results_by_capture ON results (capture_id, classified_at, final_label, model_id, probability, reviewed);
`;

export const migration0005: Migration = {
  version: 5,
  name: 'final-labels',
  up(db) {
    db.exec(schema);
  },
};
