import type { Store } from '../store/store.js';
import type { ReviewedCell } from './results-csv.js';

/** A result's cells with each one's latest review, as the per-cell CSV lists them. */
export function reviewedCells(store: Pick<Store, 'cells' | 'reviews'>): (resultId: number) => ReviewedCell[] {
  return (resultId) => {
    const reviews = store.reviews.latestOfCells(resultId);
    return store.cells.ofResult(resultId).map((cell) => ({ ...cell, review: reviews.get(cell.id) }));
  };
}
