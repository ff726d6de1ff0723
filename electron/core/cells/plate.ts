import type { PlacedResult } from '../store/history.js';
import { plateFormat, wellOf, type Well } from './wells.js';

export interface PlateWell extends Well {
  captures: number;
  cells: number;
  /** Share of the well's cells in the chosen class; null when the well has no cells. */
  fraction: number | null;
}

export interface Plate {
  rows: number;
  columns: number;
  className: string;
  wells: PlateWell[];
  /** Results whose file names name no well. */
  unplaced: number;
}

/**
 * Lays a folder's results out on their plate by the well names in their file names. A field
 * counts each of its cells; a capture classified whole counts as one cell of its class.
 */
export function plateOf(results: readonly PlacedResult[], className: string): Plate {
  const byWell = new Map<string, { well: Well; captures: number; cells: number; inClass: number }>();
  let unplaced = 0;
  for (const result of results) {
    const well = wellOf(result.fileName);
    if (!well) {
      unplaced++;
      continue;
    }
    const entry = byWell.get(well.name) ?? { well, captures: 0, cells: 0, inClass: 0 };
    byWell.set(well.name, entry);
    entry.captures++;
    if (result.summary) {
      entry.cells += result.summary.cells;
      entry.inClass += result.summary.counts[className] ?? 0;
    } else {
      entry.cells++;
      if (result.className === className) entry.inClass++;
    }
  }
  const entries = [...byWell.values()].sort(
    (a, b) => a.well.row - b.well.row || a.well.column - b.well.column,
  );
  const { rows, columns } = plateFormat(entries.map((e) => e.well));
  return {
    rows,
    columns,
    className,
    wells: entries.map((e) => ({
      ...e.well,
      captures: e.captures,
      cells: e.cells,
      fraction: e.cells === 0 ? null : e.inClass / e.cells,
    })),
    unplaced,
  };
}
