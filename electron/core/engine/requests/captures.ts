import type { EngineHandlers } from '../../../contract/api.js';
import type { CaptureRow } from '../../../contract/types.js';
import { modelKey } from '../../store/models.js';
import type { HistoryStore } from '../../history-store/history-store.js';
import { captureRow, rowsOf, shownFirst, type EngineContext } from '../context.js';
import { fromBytes, fromPath, importIntoInbox } from '../inbox.js';
import { cellOf, resultDetailOf, reviewOf } from '../rows.js';

/** A field's cells as the contract shows them, each with its standing review. */
const cellRows = async (history: HistoryStore, resultId: number) =>
  (await history.cellsOf(resultId)).map(({ cell, review }) => cellOf(cell, review));

/** Single captures: the latest ones, one in full, and files dropped onto the window. */
export function captureRequests({ store, history, classification, inbox }: EngineContext) {
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
      // A facility's capture as the facility has it: its results, cells and the reviews of anyone. One
      // it has no result for yet (sent from here and not classified) is shown as this workstation has it.
      const shared = history.store.scope === 'facility' ? await history.store.forCapture(sha256) : [];
      const from = shared.length > 0 ? history.store : history.local;
      const results = shownFirst(shared.length > 0 ? shared : await from.forCapture(sha256), classification);
      const [shown] = results;
      // Not found, in a sentence, when neither history has it.
      const capture = shown ? rowsOf(store)(shown) : captureRow(store, classification, sha256);
      const info = shown?.info ?? store.captures.get(sha256)!.info;
      // By id, version and file: two versions may share one file and differ in name.
      const names = new Map(store.models.list().map((m) => [modelKey(m), m.name]));
      return {
        capture,
        format: info.format,
        channels: info.channels,
        results: results.map((row) => resultDetailOf(row, names.get(modelKey(row.model)) ?? null)),
        reviews: (await from.reviewsOf(sha256)).map(reviewOf),
        cells: shown ? await cellRows(from, shown.resultId) : [],
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
