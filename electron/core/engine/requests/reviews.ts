import type { EngineHandlers } from '../../../contract/api.js';
import { ContractError } from '../../../contract/messages.js';
import type { HistoryRow } from '../../store/history.js';
import { rowsOf, shownFirst, type EngineContext } from '../context.js';
import { reviewOf } from '../rows.js';

/** A person's labels, for a whole capture or one of its cells, and the queue of what to review, in whichever history is shown. */
export function reviewRequests({ store, history, classification, emit }: EngineContext) {
  /** The capture's result it is shown with; a sentence when there is nothing to review. */
  const reviewed = async (sha256: string): Promise<HistoryRow> => {
    const [shown] = shownFirst(await history.store.forCapture(sha256), classification);
    if (shown) return shown;
    const state = await history.store.reviewableState(sha256);
    if (state === 'unknown') throw new ContractError('not-found', 'This capture is not in the database.');
    throw new ContractError(
      'invalid-request',
      state === 'failed'
        ? 'This file could not be classified, so there is nothing to review: see why on its page.'
        : 'This capture has not been classified yet, so there is nothing to review: try again when it has.',
    );
  };
  /** Tells every window the capture's label changed. */
  const updated = async (sha256: string) => {
    const [shown] = shownFirst(await history.store.forCapture(sha256), classification);
    if (shown) emit('capture.updated', rowsOf(store)(shown));
  };
  return {
    'reviews.add': async ({ sha256, cellId, label, note, reviewer }) => {
      const latest = await reviewed(sha256);
      if (cellId !== undefined && (await history.store.resultOfCell(cellId)) !== latest.resultId) {
        throw new ContractError(
          'not-found',
          'That cell is not one of this capture’s cells (the capture may have been classified again).',
        );
      }
      const review = reviewOf(await history.store.addReview({ sha256, cellId, label, note, reviewer }));
      await updated(sha256);
      return review;
    },
    'reviews.withdraw': async ({ id, reviewer }) => {
      const withdrawn = await history.store.withdrawReview(id, reviewer ?? null);
      if (!withdrawn)
        throw new ContractError('not-found', 'That decision is not on record, or it was already undone.');
      await updated(withdrawn.sha256);
      return reviewOf(withdrawn);
    },
    'reviews.queue': async ({ offset, limit, folderId, modelClass }) => {
      const page = await history.store.reviewQueue({ folderId, modelClass }, { offset, limit });
      return { rows: page.rows.map(rowsOf(store)), total: page.total };
    },
  } satisfies Partial<EngineHandlers>;
}
