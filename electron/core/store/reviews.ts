import type Database from 'better-sqlite3';
import { captureIds } from './captures.js';

/** A person's label for a capture. Append-only: a correction is a newer review, an undo a withdrawal. */
export interface Review {
  id: number;
  sha256: string;
  label: string;
  note: string;
  reviewer: string | null;
  createdAt: number;
  /** When it was taken back (undone), if it was. */
  withdrawnAt: number | null;
}

export interface ReviewInput {
  sha256: string;
  /** The cell of a field the review is about; none for the whole capture. */
  cellId?: number | null;
  label: string;
  note?: string;
  reviewer?: string | null;
}

export interface ReviewRow {
  id: number;
  sha256: string;
  label: string;
  note: string;
  reviewer: string | null;
  created_at: number;
  withdrawn_at?: number | null;
}

export const toReview = (r: ReviewRow): Review => ({
  id: r.id,
  sha256: r.sha256,
  label: r.label,
  note: r.note,
  reviewer: r.reviewer,
  createdAt: r.created_at,
  withdrawnAt: r.withdrawn_at ?? null,
});

export type Reviews = ReturnType<typeof createReviews>;

export function createReviews(db: Database.Database) {
  const idOf = captureIds(db);
  const insert = db.prepare<
    [
      {
        captureId: number;
        cellId: number | null;
        label: string;
        note: string;
        reviewer: string | null;
        now: number;
      },
    ]
  >(
    `INSERT INTO reviews (capture_id, cell_id, label, note, reviewer, created_at)
     VALUES (@captureId, @cellId, @label, @note, @reviewer, @now)`,
  );
  // A withdrawal is a row of its own; a review is read with the time it was withdrawn, if it was.
  const select = `SELECT v.id, c.sha256, v.capture_id, v.cell_id, v.label, v.note, v.reviewer, v.created_at,
      (SELECT w.created_at FROM reviews w WHERE w.withdraws = v.id) AS withdrawn_at
    FROM reviews v JOIN captures c ON c.id = v.capture_id`;
  const byId = db.prepare<[number | bigint], ReviewRow & { capture_id: number; cell_id: number | null }>(
    `${select} WHERE v.id = ? AND v.withdraws IS NULL`,
  );
  // Ids only grow, so the highest is the latest whatever the clock did.
  const latest = db.prepare<[string], ReviewRow>(
    `${select} WHERE c.sha256 = ? AND v.cell_id IS NULL AND v.id IN (SELECT id FROM standing_reviews)
     ORDER BY v.id DESC LIMIT 1`,
  );
  const history = db.prepare<[string], ReviewRow>(
    `${select} WHERE c.sha256 = ? AND v.cell_id IS NULL AND v.withdraws IS NULL ORDER BY v.id`,
  );
  const ofCells = db.prepare<[number], ReviewRow & { cell_id: number }>(
    `${select} JOIN cells l ON l.id = v.cell_id WHERE l.result_id = ? AND v.id IN (SELECT id FROM standing_reviews)
     ORDER BY v.id`,
  );
  const withdrawal = db.prepare<[{ id: number; captureId: number; cellId: number | null; reviewer: string | null; now: number }]>(
    `INSERT INTO reviews (capture_id, cell_id, label, note, reviewer, created_at, withdraws)
     VALUES (@captureId, @cellId, '', '', @reviewer, @now, @id)`,
  );

  return {
    add(review: ReviewInput): Review {
      const { lastInsertRowid } = insert.run({
        captureId: idOf(review.sha256),
        cellId: review.cellId ?? null,
        label: review.label,
        note: review.note ?? '',
        reviewer: review.reviewer ?? null,
        now: Date.now(),
      });
      return toReview(byId.get(lastInsertRowid)!);
    },
    /**
     * Takes a review back (an undo): the capture's final label is again the review before it, or
     * the model's class. Undefined when there is no such review or it was already taken back.
     */
    withdraw(id: number, reviewer: string | null = null): Review | undefined {
      const row = byId.get(id);
      if (!row || row.withdrawn_at != null) return undefined;
      withdrawal.run({ id, captureId: row.capture_id, cellId: row.cell_id, reviewer, now: Date.now() });
      return toReview(byId.get(id)!);
    },
    /** The standing (not withdrawn) review of the whole capture. */
    latest(sha256: string): Review | undefined {
      const row = latest.get(sha256);
      return row && toReview(row);
    },
    /** Every review of a capture as a whole, oldest first, withdrawn ones too (with when). */
    history: (sha256: string): Review[] => history.all(sha256).map(toReview),
    /** The latest standing review of each reviewed cell of a result, by cell id. */
    latestOfCells(resultId: number): Map<number, Review> {
      return new Map(ofCells.all(resultId).map((row) => [row.cell_id, toReview(row)]));
    },
  };
}
