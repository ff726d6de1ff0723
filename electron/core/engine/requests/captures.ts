import type { EngineHandlers } from '../../../contract/api.js';
import { ContractError } from '../../../contract/messages.js';
import { modelKey } from '../../store/models.js';
import { captureRow, cellsOfResult, resultsOf, type EngineContext } from '../context.js';
import { fromBytes, fromPath, importIntoInbox } from '../inbox.js';
import { resultDetailOf, reviewOf } from '../rows.js';

/** Single captures: the latest ones, one in full, and files dropped onto the window. */
export function captureRequests({ store, classification, inbox }: EngineContext) {
  return {
    'captures.recent': ({ limit }) =>
      store.captures.recent(limit).map((capture) => captureRow(store, classification, capture.sha256)),
    'captures.get': ({ sha256 }) => {
      const capture = store.captures.get(sha256);
      if (!capture) throw new ContractError('not-found', 'This capture is not in the database.');
      // By id, version and file: two versions may share one file and differ in name.
      const names = new Map(store.models.list().map((m) => [modelKey(m), m.name]));
      const results = resultsOf(store, classification, sha256);
      return {
        capture: captureRow(store, classification, sha256),
        format: capture.info.format,
        channels: capture.info.channels,
        results: results.map((row) => resultDetailOf(row, names.get(modelKey(row.model)) ?? null)),
        reviews: store.reviews.history(sha256).map(reviewOf),
        cells: results[0] ? cellsOfResult(store, results[0].resultId) : [],
      };
    },
    'captures.import': ({ files }) =>
      importIntoInbox(
        inbox,
        files.map((f) => fromBytes(f.name, f.dataBase64)),
      ),
    'captures.importPaths': ({ paths }) => importIntoInbox(inbox, paths.map(fromPath)),
  } satisfies Partial<EngineHandlers>;
}
