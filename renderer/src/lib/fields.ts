import type { CaptureRow, CellRow, FieldSummary } from '$contract/types.js';
import { percent } from './format.js';

/**
 * The label a person gives what is no cell of any class the model knows: debris, a bubble, a
 * smudge, another kind of image. One label for a whole capture and for a cell of a field.
 */
export const notACell = 'Not a cell / other';

/** Earlier versions saved "not a cell" for a cell: it means the same. */
const notACellLabels = [notACell.toLowerCase(), 'not a cell'];

export const isNotACell = (label: string | null | undefined): boolean =>
  notACellLabels.includes(label?.trim().toLowerCase() ?? '');

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

/** "2 out of scope", or '' when every cell found was in the model's scope. */
export const outOfScopeText = (summary: FieldSummary): string =>
  summary.outOfScope > 0 ? `${summary.outOfScope.toLocaleString()} out of scope` : '';

/**
 * "64 cells: 71 % HT1080, 29 % HEK-293A" (the first `classes` classes), "No cells found", and how
 * many cells were found but out of the model's scope (counted in no class).
 */
export function summaryText(summary: FieldSummary, classes = Infinity): string {
  const apart = outOfScopeText(summary);
  if (summary.cells === 0) return apart ? `No cell in the model’s scope (${apart})` : 'No cells found';
  const shares = byShare(summary)
    .slice(0, classes)
    .map(([name, fraction]) => `${percent(fraction)} ${name}`);
  const head = cellCount(summary.cells);
  const text = shares.length > 0 ? `${head[0]!.toUpperCase()}${head.slice(1)}: ${shares.join(', ')}` : head;
  return apart ? `${text} (and ${apart})` : text;
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
