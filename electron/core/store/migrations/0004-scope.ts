import type { Migration } from '../migrate.js';

// A result may say that the model cannot judge its capture (out of scope, with the score and the
// reason), or that it is not sure enough to give a class (uncertain). Existing results were given a
// class without either check: in scope, and not uncertain.
const schema = `
ALTER TABLE results ADD COLUMN in_scope INTEGER NOT NULL DEFAULT 1 CHECK (in_scope IN (0, 1));
-- {inScope, score, threshold, method, reason}; null for results from before the check.
ALTER TABLE results ADD COLUMN scope TEXT CHECK (scope IS NULL OR json_valid(scope));
ALTER TABLE results ADD COLUMN uncertain INTEGER NOT NULL DEFAULT 0 CHECK (uncertain IN (0, 1));
ALTER TABLE cells ADD COLUMN in_scope INTEGER NOT NULL DEFAULT 1 CHECK (in_scope IN (0, 1));
ALTER TABLE cells ADD COLUMN scope TEXT CHECK (scope IS NULL OR json_valid(scope));
-- The review queue shows what the model could not judge first, then the least confident.
CREATE INDEX results_by_scope ON results (reviewed, in_scope, probability, capture_id);
`;

export const migration0004: Migration = {
  version: 4,
  name: 'scope',
  up(db) {
    db.exec(schema);
  },
};
