import type Database from 'better-sqlite3';
import type { CellInput, ScopeInput, SummaryInput } from './captures.js';

/** A stored cell of a field's result, as History and the Capture screen read it. */
export interface StoredCell extends CellInput {
  id: number;
  index: number;
}

/** A cell as both stores read it: JSON columns as their text. */
export interface CellRow {
  id: number;
  cell_index: number;
  x: number;
  y: number;
  box_x: number;
  box_y: number;
  box_width: number;
  box_height: number;
  area: number;
  outline: string;
  score: number;
  class_name: string;
  probability: number;
  probabilities: string;
  crop: string;
  scope: string | null;
}

export const toCell = (r: CellRow): StoredCell => ({
  id: r.id,
  index: r.cell_index,
  x: r.x,
  y: r.y,
  box: { x: r.box_x, y: r.box_y, width: r.box_width, height: r.box_height },
  area: r.area,
  outline: JSON.parse(r.outline) as Array<[number, number]>,
  score: r.score,
  className: r.class_name,
  probability: r.probability,
  probabilities: JSON.parse(r.probabilities) as Record<string, number>,
  crop: JSON.parse(r.crop) as Record<string, unknown>,
  scope: r.scope === null ? inScopeByDefault : (JSON.parse(r.scope) as ScopeInput),
});

/** Cells stored before the scope check were given a class without it. */
const inScopeByDefault: ScopeInput = {
  inScope: true,
  score: null,
  threshold: null,
  method: 'none',
  reason: null,
};

/**
 * Writes a result's cells and class fractions, replacing those of an earlier run with the same
 * model file. A cell someone reviewed keeps its row (and so its review) even if the new run found
 * fewer cells: its index is then past the new count and it is no longer shown.
 */
export function createCellWriter(db: Database.Database) {
  const upsert = db.prepare(
    `INSERT INTO cells (result_id, cell_index, x, y, box_x, box_y, box_width, box_height, area, outline, score,
                        class_name, probability, probabilities, crop, in_scope, scope)
     VALUES (@resultId, @index, @x, @y, @boxX, @boxY, @boxWidth, @boxHeight, @area, @outline, @score,
             @className, @probability, @probabilities, @crop, @inScope, @scopeJson)
     ON CONFLICT (result_id, cell_index) DO UPDATE SET
       x = excluded.x, y = excluded.y, box_x = excluded.box_x, box_y = excluded.box_y,
       box_width = excluded.box_width, box_height = excluded.box_height, area = excluded.area,
       outline = excluded.outline, score = excluded.score, class_name = excluded.class_name,
       probability = excluded.probability, probabilities = excluded.probabilities, crop = excluded.crop,
       in_scope = excluded.in_scope, scope = excluded.scope`,
  );
  const dropExtra = db.prepare(
    `DELETE FROM cells WHERE result_id = ? AND cell_index >= ?
       AND NOT EXISTS (SELECT 1 FROM reviews v WHERE v.cell_id = cells.id)`,
  );
  const dropFractions = db.prepare('DELETE FROM result_fractions WHERE result_id = ?');
  const addFraction = db.prepare(
    'INSERT INTO result_fractions (result_id, class_name, cells, fraction) VALUES (?, ?, ?, ?)',
  );
  return {
    replace(resultId: number, cells: CellInput[], summary: SummaryInput | null): void {
      cells.forEach((cell, index) =>
        upsert.run({
          resultId,
          index,
          x: cell.x,
          y: cell.y,
          boxX: cell.box.x,
          boxY: cell.box.y,
          boxWidth: cell.box.width,
          boxHeight: cell.box.height,
          area: cell.area,
          outline: JSON.stringify(cell.outline),
          score: cell.score,
          className: cell.className,
          probability: cell.probability,
          probabilities: JSON.stringify(cell.probabilities),
          crop: JSON.stringify(cell.crop),
          inScope: Number(cell.scope.inScope),
          scopeJson: JSON.stringify(cell.scope),
        }),
      );
      dropExtra.run(resultId, cells.length);
      dropFractions.run(resultId);
      if (summary && summary.cells > 0) {
        for (const [className, count] of Object.entries(summary.counts)) {
          addFraction.run(resultId, className, count, summary.fractions[className] ?? 0);
        }
      }
    },
  };
}

export type Cells = ReturnType<typeof createCells>;

/** Reads the cells of results. */
export function createCells(db: Database.Database) {
  const ofResult = db.prepare<[number, number], CellRow>(
    `SELECT c.* FROM cells c WHERE c.result_id = ?
       AND c.cell_index < coalesce((SELECT cell_count FROM results WHERE id = ?), 0) ORDER BY c.cell_index`,
  );
  const byId = db.prepare<[number], CellRow & { result_id: number }>('SELECT * FROM cells WHERE id = ?');
  return {
    /** The cells of one result, in the order they were found. */
    ofResult: (resultId: number): StoredCell[] => ofResult.all(resultId, resultId).map(toCell),
    get(cellId: number): (StoredCell & { resultId: number }) | undefined {
      const row = byId.get(cellId);
      return row && { ...toCell(row), resultId: row.result_id };
    },
  };
}
