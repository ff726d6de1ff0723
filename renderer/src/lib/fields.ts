import type { CaptureRow, CellRow, FieldSummary } from '$contract/types.js';
import { percent } from './format.js';

/** The label a person gives a found shape that is no cell at all (debris, a bubble, a smudge). */
export const notACell = 'not a cell';

export const isNotACell = (label: string | null | undefined): boolean =>
  label?.trim().toLowerCase() === notACell;

/** A whole field whose cells were found and classified one by one. */
export const isField = (row: Pick<CaptureRow, 'analysis'>): boolean => row.analysis === 'find-cells';

/** "no cells", "1 cell", "64 cells". */
export const cellCount = (n: number): string =>
  n === 0 ? 'no cells' : `${n.toLocaleString()} cell${n === 1 ? '' : 's'}`;

/** The classes of a field by their share of its cells, largest first. */
export function byShare(summary: FieldSummary): [string, number][] {
  return Object.entries(summary.fractions)
    .filter(([, fraction]) => fraction > 0)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
}

/** "64 cells: 71 % HT1080, 29 % HEK-293A" (the first `classes` classes), or "No cells found". */
export function summaryText(summary: FieldSummary, classes = Infinity): string {
  if (summary.cells === 0) return 'No cells found';
  const shares = byShare(summary)
    .slice(0, classes)
    .map(([name, fraction]) => `${percent(fraction)} ${name}`);
  const head = cellCount(summary.cells);
  return shares.length > 0 ? `${head[0]!.toUpperCase()}${head.slice(1)}: ${shares.join(', ')}` : head;
}

/** What a person said the cell is, else what the model said. */
export const labelOf = (cell: CellRow): string => cell.review?.label ?? cell.class;

/** The outline to draw: the polygon when the detector gave one, else the box's corners. */
export function outlineOf(cell: CellRow): [number, number][] {
  if (cell.outline.length >= 3) return cell.outline;
  const { x, y, width, height } = cell.box;
  return [
    [x, y],
    [x + width, y],
    [x + width, y + height],
    [x, y + height],
  ];
}

/** The number a person reads: cells are counted from 1. */
export const cellNumber = (cell: CellRow): number => cell.index + 1;
