import type { EngineHandlers } from '../../../contract/api.js';
import { ContractError } from '../../../contract/messages.js';
import { captureRow, folderIds, resultsOf, type EngineContext } from '../context.js';
import { reviewOf, rowOfResult } from '../rows.js';

/** A person's labels, for a whole capture or one of its cells, and the queue of what to review. */
export function reviewRequests({ store, classification, emit }: EngineContext) {
  return {
    'reviews.add': ({ sha256, cellId, label, note, reviewer }) => {
      const reviewed = store.captures.get(sha256);
      if (!reviewed) throw new ContractError('not-found', 'This capture is not in the database.');
      const [latest] = resultsOf(store, classification, sha256);
      if (reviewed.state === 'failed' && !latest)
        throw new ContractError(
          'invalid-request',
          'This file could not be classified, so there is nothing to review: see why on its page.',
        );
      if (cellId !== undefined) {
        const cell = store.cells.get(cellId);
        if (!latest || !cell || cell.resultId !== latest.resultId) {
          throw new ContractError(
            'not-found',
            'That cell is not one of this capture’s cells (the capture may have been classified again).',
          );
        }
      }
      const review = reviewOf(store.reviews.add({ sha256, cellId, label, note, reviewer }));
      emit('capture.updated', captureRow(store, classification, sha256));
      return review;
    },
    'reviews.withdraw': ({ id, reviewer }) => {
      const withdrawn = store.reviews.withdraw(id, reviewer);
      if (!withdrawn)
        throw new ContractError('not-found', 'That decision is not on record, or it was already undone.');
      emit('capture.updated', captureRow(store, classification, withdrawn.sha256));
      return reviewOf(withdrawn);
    },
    'reviews.queue': ({ offset, limit, folderId, modelClass }) => {
      const page = store.history.reviewQueue({ folderId, modelClass }, { offset, limit });
      const folderIdOf = folderIds(store);
      return { rows: page.rows.map((row) => rowOfResult(row, folderIdOf)), total: page.total };
    },
  } satisfies Partial<EngineHandlers>;
}
