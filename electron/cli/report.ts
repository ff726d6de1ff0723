import type { ModelIdentity } from '../core/model/classifier.js';
import type { Outcome } from '../core/pipeline/pipeline.js';
import type { Capture } from '../core/store/captures.js';
import type { HistoryRow } from '../core/store/history.js';
import type { Column } from './output.js';

/** One capture's line of output, the same for `classify` and (with more fields) `history`. */
export interface CaptureReport {
  file: string;
  status: 'ok' | 'failed';
  class: string | null;
  probability: number | null;
  probabilities: Record<string, number> | null;
  provider: string | null;
  model: Pick<ModelIdentity, 'id' | 'version' | 'sha256'>;
  width: number | null;
  height: number | null;
  bitDepth: number | null;
  sha256: string | null;
  error?: string;
}

/** A file that never reached the model (missing, unreadable folder). */
export function failedReport(file: string, reason: string, model: ModelIdentity): CaptureReport {
  return reportOf(
    { status: 'failed', job: { path: file }, sha256: null, info: null, code: 'unreadable', reason },
    model,
    '',
  );
}

export function reportOf(outcome: Outcome, model: ModelIdentity, provider: string): CaptureReport {
  const ok = outcome.status === 'ok';
  return {
    file: outcome.job.path,
    status: outcome.status,
    class: ok ? outcome.prediction.class : null,
    probability: ok ? outcome.prediction.probability : null,
    probabilities: ok ? outcome.prediction.probabilities : null,
    provider: ok ? provider : null,
    model: { id: model.id, version: model.version, sha256: model.sha256 },
    width: outcome.info?.width ?? null,
    height: outcome.info?.height ?? null,
    bitDepth: outcome.info?.bitDepth ?? null,
    sha256: outcome.sha256,
    ...(ok ? {} : { error: outcome.reason }),
  };
}

const percent = (p: number | null): string | null => (p === null ? null : `${(p * 100).toFixed(1)}%`);

const fileColumn: Column<CaptureReport> = { header: 'file', value: (r) => r.file, width: 44 };
const classColumn: Column<CaptureReport> = { header: 'class', value: (r) => r.class, width: 14 };
const probabilityColumn: Column<CaptureReport> = {
  header: 'probability',
  value: (r) => percent(r.probability),
  width: 11,
  align: 'right',
};
const providerColumn: Column<CaptureReport> = { header: 'provider', value: (r) => r.provider, width: 8 };

export const reportColumns: Column<CaptureReport>[] = [
  fileColumn,
  { header: 'status', value: (r) => r.status, width: 6 },
  classColumn,
  probabilityColumn,
  { header: 'size', value: (r) => (r.width === null ? null : `${r.width}×${r.height} ${r.bitDepth}-bit`), width: 20 },
  providerColumn,
  { header: 'error', value: (r) => r.error ?? null, width: 80 },
];

/** A stored capture as `history` and `watch` print it: the classify fields, plus where and when. */
export interface StoredReport extends CaptureReport {
  paths: string[];
  classifiedAt: string | null;
  review: { label: string; note: string; reviewer: string | null; createdAt: string } | null;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function storedReportOf(row: HistoryRow): StoredReport {
  const { review } = row;
  return {
    file: row.paths[0] ?? row.fileName,
    status: 'ok',
    class: row.className,
    probability: row.probability,
    probabilities: row.probabilities,
    provider: row.provider,
    model: row.model,
    width: row.info.width,
    height: row.info.height,
    bitDepth: row.info.bitDepth,
    sha256: row.sha256,
    paths: row.paths,
    classifiedAt: iso(row.classifiedAt),
    review: review && { label: review.label, note: review.note, reviewer: review.reviewer, createdAt: iso(review.createdAt) },
  };
}

/** A capture that failed, with its reason; `model` is the one that was to classify it. */
export function failedCaptureReport(capture: Capture, model: ModelIdentity): StoredReport {
  return {
    file: capture.paths[0] ?? capture.name,
    status: 'failed',
    class: null,
    probability: null,
    probabilities: null,
    provider: null,
    model: { id: model.id, version: model.version, sha256: model.sha256 },
    width: capture.info.width,
    height: capture.info.height,
    bitDepth: capture.info.bitDepth,
    sha256: capture.sha256,
    error: capture.failureReason ?? 'The capture could not be classified.',
    paths: capture.paths,
    classifiedAt: null,
    review: null,
  };
}

export const historyColumns: Column<StoredReport>[] = [
  fileColumn,
  classColumn,
  probabilityColumn,
  { header: 'classified', value: (r) => r.classifiedAt, width: 24 },
  { header: 'model', value: (r) => `${r.model.id} ${r.model.version}`, width: 24 },
  providerColumn,
  { header: 'review', value: (r) => r.review?.label ?? null, width: 14 },
];

/** CSV carries every field; the table shows the ones a person scans. */
export function csvColumns(classes: string[]): Column<CaptureReport>[] {
  return [
    { header: 'file', value: (r) => r.file },
    { header: 'status', value: (r) => r.status },
    { header: 'class', value: (r) => r.class },
    { header: 'probability', value: (r) => r.probability },
    ...classes.map((name) => ({ header: `p(${name})`, value: (r: CaptureReport) => r.probabilities?.[name] ?? null })),
    { header: 'provider', value: (r) => r.provider },
    { header: 'model_id', value: (r) => r.model.id },
    { header: 'model_version', value: (r) => r.model.version },
    { header: 'model_sha256', value: (r) => r.model.sha256 },
    { header: 'width', value: (r) => r.width },
    { header: 'height', value: (r) => r.height },
    { header: 'bit_depth', value: (r) => r.bitDepth },
    { header: 'sha256', value: (r) => r.sha256 },
    { header: 'error', value: (r) => r.error ?? null },
  ];
}
