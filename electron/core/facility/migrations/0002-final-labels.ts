import type { FacilityMigration } from '../migrate.js';

// The SQLite store's 0005 and 0006 (final labels, withdrawals, history indexes, search by any path)
// in PostgreSQL, so both back ends of the history answer alike. A capture's final label is its
// latest standing review, else the model's class, kept on each result by triggers; an undo is a new
// review row that withdraws an earlier one. The indexes serve each history sort order with the
// filters that order allows (as SQLite's 0005 does); trigram indexes serve a search in any path.
export const facilityMigration0002: FacilityMigration = {
  version: 2,
  name: 'final-labels',
  sql: `
ALTER TABLE reviews ADD COLUMN withdraws bigint REFERENCES reviews (id);
CREATE UNIQUE INDEX reviews_withdrawals ON reviews (withdraws) WHERE withdraws IS NOT NULL;
CREATE VIEW standing_reviews AS
  SELECT * FROM reviews v
  WHERE v.withdraws IS NULL AND NOT EXISTS (SELECT 1 FROM reviews w WHERE w.withdraws = v.id);

CREATE FUNCTION standing_label(capture bigint) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT v.label FROM standing_reviews v WHERE v.capture_id = capture AND v.cell_id IS NULL
  ORDER BY v.id DESC LIMIT 1
$$;

-- Names sort by their bytes (file names: regardless of ASCII case), as in SQLite, so both histories list alike.
ALTER TABLE captures ALTER COLUMN name TYPE text COLLATE "C";
ALTER TABLE results ALTER COLUMN class_name TYPE text COLLATE "C";
ALTER TABLE results ADD COLUMN final_label text COLLATE "C";
UPDATE results SET final_label = COALESCE(standing_label(capture_id), class_name);
ALTER TABLE results ALTER COLUMN final_label SET NOT NULL;

DROP TRIGGER reviews_mark_results ON reviews;
DROP FUNCTION reviews_mark_results();
-- What a result carries of its capture (its final label, where it was seen) is worked out under a
-- lock on the capture's row, taken by each trigger below: a sighting, a review and a worker's result
-- for the same capture in concurrent transactions would otherwise each miss the other's row. Each
-- statement after the lock sees what the transaction that held it committed. Producers and workers
-- take these locks in the order of the captures' SHA-256, so they cannot deadlock.
-- A review or a withdrawal of one (both name the capture) settles every result of that capture.
CREATE FUNCTION reviews_settle_results() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.cell_id IS NULL THEN
    PERFORM 1 FROM captures WHERE id = NEW.capture_id FOR NO KEY UPDATE;
    UPDATE results SET
      final_label = COALESCE(standing_label(NEW.capture_id), class_name),
      reviewed = standing_label(NEW.capture_id) IS NOT NULL
    WHERE capture_id = NEW.capture_id;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER reviews_settle_results AFTER INSERT ON reviews FOR EACH ROW EXECUTE FUNCTION reviews_settle_results();
-- Where its capture was seen ('workstation:…', 'microscope:…'), on each result: a filter by place is
-- then a check on the row the history reads anyway, not a join with every sighting.
CREATE FUNCTION capture_places(capture bigint) RETURNS text[] LANGUAGE sql STABLE AS $$
  SELECT coalesce(array_agg(DISTINCT p.place ORDER BY p.place), '{}')
  FROM capture_sightings s,
       LATERAL (VALUES ('workstation:' || s.workstation), ('microscope:' || s.microscope)) AS p(place)
  WHERE s.capture_id = capture AND p.place <> 'microscope:'
$$;
ALTER TABLE results ADD COLUMN places text[] NOT NULL DEFAULT '{}';
CREATE INDEX results_by_place ON results USING gin (places);
UPDATE results SET places = capture_places(capture_id);
CREATE FUNCTION sightings_place_results() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM captures WHERE id = NEW.capture_id FOR NO KEY UPDATE;
  UPDATE results SET places = capture_places(NEW.capture_id) WHERE capture_id = NEW.capture_id;
  RETURN NEW;
END $$;
CREATE TRIGGER sightings_place_results AFTER INSERT ON capture_sightings FOR EACH ROW EXECUTE FUNCTION sightings_place_results();

-- A new result starts from the capture's standing review if it has one, and knows where it was seen.
CREATE FUNCTION results_settle_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM captures WHERE id = NEW.capture_id FOR NO KEY UPDATE;
  NEW.final_label := COALESCE(standing_label(NEW.capture_id), NEW.class_name);
  NEW.reviewed := standing_label(NEW.capture_id) IS NOT NULL;
  NEW.places := capture_places(NEW.capture_id);
  RETURN NEW;
END $$;
CREATE TRIGGER results_settle_new BEFORE INSERT ON results FOR EACH ROW EXECUTE FUNCTION results_settle_new();

DROP INDEX results_by_time;
DROP INDEX results_by_class;
DROP INDEX results_by_model;
DROP INDEX results_by_scope;
CREATE INDEX results_by_time ON results (classified_at, id);
CREATE INDEX results_by_label ON results (final_label, classified_at, id);
CREATE INDEX results_by_model_class ON results (class_name, classified_at, id);
CREATE INDEX results_by_model ON results (model_id, classified_at, id);
CREATE INDEX results_by_probability ON results (probability, id);
CREATE INDEX results_by_review ON results (reviewed, in_scope, probability, id);

CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA metascope;
CREATE INDEX sightings_by_path ON capture_sightings USING gin (path gin_trgm_ops);
`,
};
