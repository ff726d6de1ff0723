import type { FacilityMigration } from '../migrate.js';

// The SQLite store's end state (migrations 0001–0004: captures keyed by SHA-256, results with their
// full provenance, cells, fractions, append-only reviews) in PostgreSQL, plus what a facility adds:
// where each capture was seen (workstation, microscope, path), who reviewed, and which workers run.
// Times are milliseconds since 1970 (UTC), as in SQLite, so both stores read alike; JSON is jsonb.
// Watched folders and file settling stay in each workstation's own SQLite store: they are local.
export const facilityMigration0001: FacilityMigration = {
  version: 1,
  name: 'initial',
  sql: `
CREATE TABLE captures (
  id bigserial PRIMARY KEY,
  sha256 text NOT NULL UNIQUE CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  name text NOT NULL,
  size bigint NOT NULL,
  width integer,
  height integer,
  bit_depth integer,
  channels integer,
  pages integer,
  format text,
  -- 'queued' from its first sighting until a worker classifies it ('done') or finds it invalid
  -- ('failed', with the reason in plain words).
  state text NOT NULL CHECK (state IN ('queued', 'done', 'failed')),
  failure_reason text CHECK ((state = 'failed') = (failure_reason IS NOT NULL)),
  first_seen_at bigint NOT NULL,
  updated_at bigint NOT NULL
);
CREATE INDEX captures_by_state ON captures (state, first_seen_at);
CREATE INDEX captures_by_name ON captures (lower(name));

-- Every workstation, microscope and path a capture was seen at: one capture, many sightings.
CREATE TABLE capture_sightings (
  id bigserial PRIMARY KEY,
  capture_id bigint NOT NULL REFERENCES captures (id),
  workstation text NOT NULL,
  microscope text NOT NULL DEFAULT '',
  path text NOT NULL,
  seen_at bigint NOT NULL,
  UNIQUE (capture_id, workstation, path)
);
CREATE INDEX sightings_by_workstation ON capture_sightings (workstation, capture_id);
CREATE INDEX sightings_by_microscope ON capture_sightings (microscope, capture_id);

CREATE TABLE models (
  id text NOT NULL,
  version text NOT NULL,
  sha256 text NOT NULL,
  name text NOT NULL,
  classes jsonb NOT NULL,
  added_at bigint NOT NULL,
  PRIMARY KEY (id, version, sha256)
);

-- Exactly one result per capture and model file: a second worker's result for the same pair is
-- refused by this constraint, whatever happened to the jobs.
CREATE TABLE results (
  id bigserial PRIMARY KEY,
  capture_id bigint NOT NULL REFERENCES captures (id),
  model_id text NOT NULL,
  model_version text NOT NULL,
  model_sha256 text NOT NULL,
  probabilities jsonb NOT NULL,
  class_name text NOT NULL,
  probability double precision NOT NULL,
  provider text NOT NULL,
  preprocessing jsonb NOT NULL,
  app_version text NOT NULL,
  duration_ms double precision NOT NULL,
  classified_at bigint NOT NULL,
  reviewed boolean NOT NULL DEFAULT false,
  analysis text NOT NULL CHECK (analysis IN ('one-cell', 'find-cells')),
  detector jsonb,
  cell_count integer,
  summary jsonb,
  in_scope boolean NOT NULL,
  scope jsonb,
  uncertain boolean NOT NULL,
  -- Where it was classified: the worker's name, for the operators.
  worker text NOT NULL,
  UNIQUE (capture_id, model_sha256),
  FOREIGN KEY (model_id, model_version, model_sha256) REFERENCES models (id, version, sha256)
);
CREATE INDEX results_by_time ON results (classified_at, capture_id);
CREATE INDEX results_by_class ON results (class_name, classified_at);
CREATE INDEX results_by_model ON results (model_id, classified_at);
CREATE INDEX results_by_scope ON results (reviewed, in_scope, probability, capture_id);

CREATE TABLE cells (
  id bigserial PRIMARY KEY,
  result_id bigint NOT NULL REFERENCES results (id),
  cell_index integer NOT NULL,
  x double precision NOT NULL,
  y double precision NOT NULL,
  box_x integer NOT NULL,
  box_y integer NOT NULL,
  box_width integer NOT NULL,
  box_height integer NOT NULL,
  area integer NOT NULL,
  outline jsonb NOT NULL,
  score double precision NOT NULL,
  class_name text NOT NULL,
  probability double precision NOT NULL,
  probabilities jsonb NOT NULL,
  crop jsonb NOT NULL,
  in_scope boolean NOT NULL,
  scope jsonb,
  UNIQUE (result_id, cell_index)
);

CREATE TABLE result_fractions (
  result_id bigint NOT NULL REFERENCES results (id),
  class_name text NOT NULL,
  cells integer NOT NULL,
  fraction double precision NOT NULL,
  PRIMARY KEY (result_id, class_name)
);
CREATE INDEX result_fractions_by_class ON result_fractions (class_name, fraction, result_id);

-- In a facility every review names its reviewer: many people review one history.
CREATE TABLE reviews (
  id bigserial PRIMARY KEY,
  capture_id bigint NOT NULL REFERENCES captures (id),
  cell_id bigint REFERENCES cells (id),
  label text NOT NULL,
  note text NOT NULL DEFAULT '',
  reviewer text NOT NULL CHECK (reviewer <> ''),
  created_at bigint NOT NULL
);
CREATE INDEX reviews_by_capture ON reviews (capture_id, id);

CREATE FUNCTION reviews_mark_results() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.cell_id IS NULL THEN
    UPDATE results SET reviewed = true WHERE capture_id = NEW.capture_id AND NOT reviewed;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER reviews_mark_results AFTER INSERT ON reviews FOR EACH ROW EXECUTE FUNCTION reviews_mark_results();

-- A person's judgement is evidence: a correction is a new row, never an edit.
CREATE FUNCTION reviews_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'reviews are append-only: add a new review instead of changing or deleting one';
END $$;
CREATE TRIGGER reviews_append_only BEFORE UPDATE OR DELETE ON reviews FOR EACH ROW EXECUTE FUNCTION reviews_append_only();

-- Each running worker says it is alive every few seconds; status counts the recent ones.
CREATE TABLE workers (
  name text PRIMARY KEY,
  host text NOT NULL,
  provider text NOT NULL,
  started_at bigint NOT NULL,
  heartbeat_at bigint NOT NULL,
  done integer NOT NULL DEFAULT 0,
  failed integer NOT NULL DEFAULT 0
);
`,
};
