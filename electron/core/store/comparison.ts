import type Database from 'better-sqlite3';
import type { ModelRef } from './models.js';

/** What one model said of a capture. */
export interface Verdict {
  className: string;
  probability: number;
  probabilities: Record<string, number>;
  inScope: boolean;
}

/** One capture classified by both models of a comparison. */
export interface ResultPair {
  sha256: string;
  fileName: string;
  a: Verdict;
  b: Verdict;
}

interface PairRow {
  sha256: string;
  name: string;
  a_class: string;
  a_probability: number;
  a_probabilities: string;
  a_in_scope: 0 | 1;
  b_class: string;
  b_probability: number;
  b_probabilities: string;
  b_in_scope: 0 | 1;
}

const verdict = (className: string, probability: number, probabilities: string, inScope: 0 | 1): Verdict => ({
  className,
  probability,
  probabilities: JSON.parse(probabilities) as Record<string, number>,
  inScope: inScope === 1,
});

export type Comparison = ReturnType<typeof createComparison>;

/** The captures two model files both classified, side by side. */
export function createComparison(db: Database.Database) {
  const pairs = db.prepare<[Record<string, string | number | null>], PairRow>(
    `SELECT c.sha256, c.name,
            a.class_name AS a_class, a.probability AS a_probability, a.probabilities AS a_probabilities, a.in_scope AS a_in_scope,
            b.class_name AS b_class, b.probability AS b_probability, b.probabilities AS b_probabilities, b.in_scope AS b_in_scope
     FROM results a
     JOIN results b ON b.capture_id = a.capture_id
       AND b.model_id = @bId AND b.model_version = @bVersion AND b.model_sha256 = @bSha256
     JOIN captures c ON c.id = a.capture_id
     WHERE a.model_id = @aId AND a.model_version = @aVersion AND a.model_sha256 = @aSha256
       AND (@folderId IS NULL OR a.capture_id IN (SELECT capture_id FROM capture_files WHERE folder_id = @folderId))
     ORDER BY c.name, c.id`,
  );
  return {
    /** Every capture both `a` and `b` classified (in the folder, when given), by file name. */
    pairs(a: ModelRef, b: ModelRef, folderId: number | null = null): ResultPair[] {
      return pairs
        .all({
          aId: a.id,
          aVersion: a.version,
          aSha256: a.sha256,
          bId: b.id,
          bVersion: b.version,
          bSha256: b.sha256,
          folderId,
        })
        .map((r) => ({
          sha256: r.sha256,
          fileName: r.name,
          a: verdict(r.a_class, r.a_probability, r.a_probabilities, r.a_in_scope),
          b: verdict(r.b_class, r.b_probability, r.b_probabilities, r.b_in_scope),
        }));
    },
  };
}
