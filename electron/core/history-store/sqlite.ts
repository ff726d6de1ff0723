import { ContractError } from '../../contract/messages.js';
import { reviewedCells } from '../export/reviewed-cells.js';
import type { Store } from '../store/store.js';
import type { HistoryStore, SharedFilter } from './history-store.js';

const emptyPage = { rows: [], total: 0 };

/**
 * A workstation's own history, over its SQLite store. It knows no workstations or microscopes: a
 * filter by either (a facility's filters) matches nothing here. Every call runs synchronously on
 * better-sqlite3 and answers as a promise, as the facility's does.
 */
export function sqliteHistory(store: Store): HistoryStore {
  const local = (filter: SharedFilter) => filter.workstation === undefined && filter.microscope === undefined;
  return {
    scope: 'workstation',
    page: async (filter, sort, request) => (local(filter) ? store.history.page(filter, sort, request) : emptyPage),
    reviewQueue: async (filter, request) => (local(filter) ? store.history.reviewQueue(filter, request) : emptyPage),
    forCapture: async (sha256) => store.history.forCapture(sha256),
    forCaptures: async (sha256s) => sha256s.flatMap((sha256) => store.history.forCapture(sha256)),
    async reviewableState(sha256) {
      const capture = store.captures.get(sha256);
      if (!capture) return 'unknown';
      if (store.history.forCapture(sha256).length > 0) return 'done';
      return capture.state === 'failed' ? 'failed' : 'pending';
    },
    async cellsOf(resultId) {
      const reviews = store.reviews.latestOfCells(resultId);
      return store.cells.ofResult(resultId).map((cell) => ({ cell, review: reviews.get(cell.id) }));
    },
    resultOfCell: async (cellId) => store.cells.get(cellId)?.resultId,
    exportRows: async (filter, sort, cells = false) => ({
      rows: local(filter) ? store.history.export(filter, sort) : [],
      cellsOf: cells ? reviewedCells(store) : undefined,
    }),
    classCounts: async (filter, bucket, timeZone) =>
      local(filter) ? store.history.classCounts(filter, bucket, timeZone) : [],
    classFractions: async (filter, bucket, timeZone) =>
      local(filter) ? store.history.classFractions(filter, bucket, timeZone) : [],
    histogram: async (filter, bins) =>
      local(filter) ? store.history.histogram(filter, bins) : new Array<number>(bins).fill(0),
    agreementByClass: async (filter) => (local(filter) ? store.figures.agreementByClass(filter) : []),
    modelClasses: async () => store.models.list(),
    async addReview(review) {
      if (!store.captures.get(review.sha256))
        throw new ContractError('not-found', 'This capture is not in the database.');
      return store.reviews.add(review);
    },
    withdrawReview: async (id, reviewer) => store.reviews.withdraw(id, reviewer),
    reviewsOf: async (sha256) => store.reviews.history(sha256),
    places: async () => ({ workstations: [], microscopes: [] }),
  };
}
