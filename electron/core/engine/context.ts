import { ContractError } from '../../contract/messages.js';
import type { AppStatus, CaptureRow, HistoryFilter as ContractFilter } from '../../contract/types.js';
import type { FailureFilter } from '../store/failures.js';
import type { SharedFilter } from '../history-store/history-store.js';
import type { HistoryRow } from '../store/history.js';
import type { Store } from '../store/store.js';
import type { Classification } from './classification.js';
import type { Emitter } from './events.js';
import type { HistorySource } from './history-source.js';
import { rowOfCapture, rowOfResult } from './rows.js';
import type { SettingsFile } from './settings.js';

/** What every group of requests shares: the store, the settings, the model at work, the events. */
export interface EngineContext {
  store: Store;
  /** The history shown and reviewed: this workstation's store, or a facility's. */
  history: HistorySource;
  settings: SettingsFile;
  classification: Classification;
  emit: Emitter;
  inbox: string;
  /** What the app shows in its status bar: versions, folders, the model at work, progress. */
  status(): AppStatus;
}

/** Folder ids by path, read once for a whole page of rows. */
export function folderIds(store: Store): (folderPath: string | null) => number | null {
  const byPath = new Map(store.folders.list().map((f) => [f.path, f.id]));
  return (folderPath) => (folderPath === null ? null : (byPath.get(folderPath) ?? null));
}

/**
 * Results as the contract's rows, with folder ids read once; a facility's rows also say whether
 * this workstation holds the capture (and so can draw its picture).
 */
export function rowsOf(store: Store): (row: HistoryRow) => CaptureRow {
  const folderIdOf = folderIds(store);
  return (row) => {
    const shown = rowOfResult(row, folderIdOf);
    return row.places ? { ...shown, here: store.captures.get(row.sha256) !== undefined } : shown;
  };
}

/**
 * A capture's results, the one it is shown with first: the active model's, else the newest. A
 * second model re-run on stored captures adds its results beside, never in front of, the first.
 */
export function resultsOf(store: Store, classification: Classification, sha256: string): HistoryRow[] {
  return shownFirst(store.history.forCapture(sha256), classification);
}

/** A capture's results (newest first) with the one it is shown with first: the active model's, else the newest. */
export function shownFirst(results: HistoryRow[], classification: Classification): HistoryRow[] {
  const active = classification.active?.identity.sha256;
  const shown = results.findIndex((r) => r.model.sha256 === active);
  return shown > 0 ? [results[shown]!, ...results.filter((_, i) => i !== shown)] : results;
}

/** A capture as a row: the result it is shown with, or its state while it has none. */
export function captureRow(store: Store, classification: Classification, sha256: string): CaptureRow {
  const [shown] = resultsOf(store, classification, sha256);
  if (shown) return rowOfResult(shown, folderIds(store));
  const capture = store.captures.get(sha256);
  if (!capture)
    throw new ContractError('not-found', 'This capture is not in the database (it may have been removed).');
  return rowOfCapture(capture, store.reviews.latest(sha256));
}

export function storeFilter(filter: ContractFilter): SharedFilter {
  return {
    ...filter,
    from: filter.from === undefined ? undefined : Date.parse(filter.from),
    to: filter.to === undefined ? undefined : Date.parse(filter.to),
  };
}

/** The filters that apply to a capture that could not be classified. */
export function failureFilter(filter: ContractFilter): FailureFilter {
  const { from, to, folderId, search } = storeFilter(filter);
  return { from, to, folderId, search };
}
