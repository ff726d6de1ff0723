import type { EngineHandlers } from '../../../contract/api.js';
import { ContractError } from '../../../contract/messages.js';
import type { CaptureRow } from '../../../contract/types.js';
import { modelKey } from '../../store/models.js';
import type { HistoryStore } from '../../history-store/history-store.js';
import { captureRow, resultsOf, rowsOf, shownFirst, type EngineContext } from '../context.js';
import { fromBytes, fromPath, importIntoInbox } from '../inbox.js';
import { cellOf, resultDetailOf, reviewOf } from '../rows.js';

/** A field's cells as the contract shows them, each with its standing review. */
const cellRows = async (history: HistoryStore, resultId: number) =>
  (await history.cellsOf(resultId)).map(({ cell, review }) => cellOf(cell, review));

/** Single captures: the latest ones, one in full, and files dropped onto the window. */
export function captureRequests({ store, history, classification, inbox }: EngineContext) {
  const names = () => new Map(store.models.list().map((m) => [modelKey(m), m.name]));
  /**
   * A capture of a facility's history, as the facility has it: its results, a field's cells and the
   * reviews of anyone. Undefined while the facility has no result for it (a capture sent from here
   * and not classified yet).
   */
  const inFacility = async (sha256: string) => {
    const results = shownFirst(await history.store.forCapture(sha256), classification);
    if (!results[0]) return undefined;
    const named = names();
    return {
      capture: rowsOf(store)(results[0]),
      format: results[0].info.format,
      channels: results[0].info.channels,
      results: results.map((row) => resultDetailOf(row, named.get(modelKey(row.model)) ?? null)),
      reviews: (await history.store.reviewsOf(sha256)).map(reviewOf),
      cells: await cellRows(history.store, results[0].resultId),
    };
  };
  return {
    'captures.recent': async ({ limit }) => {
      const rows = store.captures.recent(limit).map((capture) => captureRow(store, classification, capture.sha256));
      // Sent to a facility (done here without a model's result): shown with the facility's result once it has one.
      const sent = rows.filter((r) => r.state === 'done' && r.model === null).map((r) => r.sha256);
      if (history.store.scope !== 'facility' || sent.length === 0) return rows;
      const arrived = new Map<string, CaptureRow>();
      for (const row of await history.store.forCaptures(sent))
        if (!arrived.has(row.sha256)) arrived.set(row.sha256, rowsOf(store)(row));
      return rows.map((row) => arrived.get(row.sha256) ?? row);
    },
    'captures.get': async ({ sha256 }) => {
      const shared = history.store.scope === 'facility' ? await inFacility(sha256) : undefined;
      if (shared) return shared;
      const capture = store.captures.get(sha256);
      if (!capture) throw new ContractError('not-found', 'This capture is not in the database.');
      // By id, version and file: two versions may share one file and differ in name.
      const named = names();
      const results = resultsOf(store, classification, sha256);
      return {
        capture: captureRow(store, classification, sha256),
        format: capture.info.format,
        channels: capture.info.channels,
        results: results.map((row) => resultDetailOf(row, named.get(modelKey(row.model)) ?? null)),
        reviews: store.reviews.history(sha256).map(reviewOf),
        cells: results[0] ? await cellRows(history.local, results[0].resultId) : [],
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
