import path from 'node:path';
import type {
  CaptureRow,
  CellRow,
  Review as ContractReview,
  ResultDetail,
  WatchedFolder as ContractFolder,
} from '../../contract/types.js';
import type { StoredCell } from '../store/cells.js';
import type { Capture } from '../store/captures.js';
import type { FailedCapture } from '../store/failures.js';
import type { WatchedFolder } from '../store/folders.js';
import type { HistoryRow } from '../store/history.js';
import type { Review } from '../store/reviews.js';

/** Store records in the contract's shapes: times as ISO strings, names the UI shows. */
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export const reviewOf = (review: Review): ContractReview => ({
  id: review.id,
  label: review.label,
  note: review.note,
  reviewer: review.reviewer,
  createdAt: new Date(review.createdAt).toISOString(),
  withdrawnAt: iso(review.withdrawnAt),
});

export function rowOfResult(
  row: HistoryRow,
  folderIdOf: (folderPath: string | null) => number | null,
): CaptureRow {
  return {
    sha256: row.sha256,
    fileName: row.fileName,
    paths: row.paths,
    folderId: folderIdOf(row.folderPath),
    state: 'done',
    failureReason: null,
    width: row.info.width,
    height: row.info.height,
    bitDepth: row.info.bitDepth,
    pages: row.info.pages,
    // A field without cells has no class.
    class: row.className || null,
    finalLabel: row.finalLabel || null,
    probability: row.probability,
    probabilities: row.probabilities,
    provider: row.provider,
    model: row.model,
    durationMs: row.durationMs,
    classifiedAt: iso(row.classifiedAt),
    review: row.review ? reviewOf(row.review) : null,
    analysis: row.analysis,
    summary: row.summary,
    scope: row.scope,
    uncertain: row.uncertain,
    ...row.places,
  };
}

/** A capture that has no result (yet, or ever): queued, processing or failed with its reason. */
export function rowOfCapture(capture: Capture, review: Review | undefined): CaptureRow {
  return {
    sha256: capture.sha256,
    fileName: capture.name,
    paths: capture.paths,
    folderId: null,
    state: capture.state,
    failureReason: capture.failureReason,
    width: capture.info.width,
    height: capture.info.height,
    bitDepth: capture.info.bitDepth,
    pages: capture.info.pages,
    class: null,
    finalLabel: review?.label ?? null,
    probability: null,
    probabilities: null,
    provider: null,
    model: null,
    durationMs: null,
    classifiedAt: iso(capture.updatedAt),
    review: review ? reviewOf(review) : null,
    analysis: null,
    summary: null,
    scope: null,
    uncertain: false,
  };
}

/** A capture that could not be classified, as History lists it: with its reason and its folder. */
export function rowOfFailure(
  failure: FailedCapture,
  folderIdOf: (folderPath: string | null) => number | null,
): CaptureRow {
  return { ...rowOfCapture(failure, undefined), folderId: folderIdOf(failure.folderPath) };
}

export function cellOf(cell: StoredCell, review: Review | undefined): CellRow {
  return {
    id: cell.id,
    index: cell.index,
    x: cell.x,
    y: cell.y,
    box: cell.box,
    outline: cell.outline,
    area: cell.area,
    class: cell.className,
    probability: cell.probability,
    probabilities: cell.probabilities,
    edge: cell.crop.edge === true,
    review: review ? reviewOf(review) : null,
    scope: cell.scope,
  };
}

export function resultDetailOf(row: HistoryRow, modelName: string | null): ResultDetail {
  return {
    model: { ...row.model, name: modelName },
    class: row.className,
    probability: row.probability,
    probabilities: row.probabilities,
    provider: row.provider,
    preprocessing: row.preprocessing,
    appVersion: row.appVersion,
    durationMs: row.durationMs,
    classifiedAt: new Date(row.classifiedAt).toISOString(),
    analysis: row.analysis,
    detector: row.detector,
    summary: row.summary,
    scope: row.scope,
    uncertain: row.uncertain,
  };
}

export function folderOf(folder: WatchedFolder, inbox: string): ContractFolder {
  return {
    id: folder.id,
    path: folder.path,
    recursive: folder.recursive,
    enabled: folder.enabled,
    state: folder.state,
    reason: folder.unavailableReason,
    lastScanAt: iso(folder.lastScanAt),
    isInbox: path.resolve(folder.path) === path.resolve(inbox),
    analysis: folder.analysis,
  };
}
