import type { ClassifiedCell } from '../core/cells/analysis.js';
import type { FieldSummary } from '../core/cells/summary.js';
import { cellOf } from '../core/intake/provenance.js';
import type { ModelIdentity } from '../core/model/classifier.js';
import type { ScopeVerdict } from '../core/model/scope.js';
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
  /** Null where no model is known: a failure as `history` lists it. */
  model: Pick<ModelIdentity, 'id' | 'version' | 'sha256'> | null;
  width: number | null;
  height: number | null;
  bitDepth: number | null;
  sha256: string | null;
  /** 'one-cell' (classified whole) or 'find-cells' (each cell found and classified); null when it failed first. */
  analysis: 'one-cell' | 'find-cells' | null;
  /** A field's cell count, counts and fractions per class, mean probability. */
  summary: FieldSummary | null;
  /** A field's cells, in the capture's pixels. */
  cells?: CellReport[];
  /** False when the model cannot judge the capture: its class means nothing. Null when it failed first. */
  inScope: boolean | null;
  scope: ScopeVerdict | null;
  /** In scope, but less sure than the threshold asks. */
  uncertain: boolean | null;
  error?: string;
}

export interface CellReport {
  x: number;
  y: number;
  box: { x: number; y: number; width: number; height: number };
  area: number;
  class: string;
  probability: number;
  probabilities: Record<string, number>;
  /** The classifier's window crossed the field's edge (filled by mirroring). */
  edge: boolean;
  inScope: boolean;
  scope: ScopeVerdict;
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
  const analysed = ok ? outcome.analysed : null;
  return {
    file: outcome.job.path,
    status: outcome.status,
    class: analysed ? analysed.prediction.class || null : null,
    probability: analysed ? analysed.prediction.probability : null,
    probabilities: analysed ? analysed.prediction.probabilities : null,
    provider: ok ? provider : null,
    model: { id: model.id, version: model.version, sha256: model.sha256 },
    width: outcome.info?.width ?? null,
    height: outcome.info?.height ?? null,
    bitDepth: outcome.info?.bitDepth ?? null,
    sha256: outcome.sha256,
    analysis: analysed?.mode ?? null,
    summary: analysed?.summary ?? null,
    inScope: analysed ? analysed.scope.inScope : null,
    scope: analysed?.scope ?? null,
    uncertain: analysed ? analysed.uncertain : null,
    ...(analysed?.cells ? { cells: analysed.cells.map(cellReportOf) } : {}),
    ...(ok ? {} : { error: outcome.reason }),
  };
}

function cellReportOf(cell: ClassifiedCell): CellReport {
  const stored = cellOf(cell);
  return {
    x: stored.x,
    y: stored.y,
    box: stored.box,
    area: stored.area,
    class: stored.className,
    probability: stored.probability,
    probabilities: stored.probabilities,
    edge: cell.crop.edge,
    inScope: cell.scope.inScope,
    scope: cell.scope,
  };
}

/** "in scope", "uncertain", or "OUT: " and why the model cannot judge the capture. */
function scopeText(r: CaptureReport): string | null {
  if (r.inScope === null) return null;
  if (!r.inScope) return `OUT: ${r.scope?.reason ?? 'out of scope'}`;
  return r.uncertain ? 'uncertain' : 'in scope';
}

/** "64 cells: 71% HT1080", "42 cells, none in scope" or "no cells found" for a field; null for a capture classified whole. */
export function summaryText(summary: FieldSummary | null, className: string | null): string | null {
  if (!summary) return null;
  const outside = summary.outOfScope > 0 ? ` (${summary.outOfScope} out of scope)` : '';
  if (summary.cells === 0)
    return summary.outOfScope > 0 ? `${summary.outOfScope} cells, none in scope` : 'no cells found';
  const share = className ? ` ${Math.round((summary.fractions[className] ?? 0) * 100)}% ${className}` : '';
  return `${summary.cells} cell${summary.cells === 1 ? '' : 's'}:${share}${outside}`;
}

const percent = (p: number | null): string | null => (p === null ? null : `${(p * 100).toFixed(1)}%`);

const fileColumn: Column<CaptureReport> = { header: 'file', value: (r) => r.file, width: 44 };
// Out of scope, the class means nothing: the table shows none (JSON keeps what the model said).
const judged = (r: CaptureReport) => r.inScope !== false;
const classColumn: Column<CaptureReport> = { header: 'class', value: (r) => (judged(r) ? r.class : null), width: 14 };
const probabilityColumn: Column<CaptureReport> = {
  header: 'probability',
  value: (r) => (judged(r) ? percent(r.probability) : null),
  width: 11,
  align: 'right',
};
const providerColumn: Column<CaptureReport> = { header: 'provider', value: (r) => r.provider, width: 8 };
// A sentence: its start says what went wrong.
const errorColumn: Column<CaptureReport> = {
  header: 'error',
  value: (r) => r.error ?? null,
  width: 80,
  keep: 'start',
};

export const reportColumns: Column<CaptureReport>[] = [
  fileColumn,
  { header: 'status', value: (r) => r.status, width: 6 },
  classColumn,
  probabilityColumn,
  // Its start is the count.
  { header: 'cells', value: (r) => summaryText(r.summary, r.class) ?? 'one cell', width: 26, keep: 'start' },
  { header: 'scope', value: scopeText, width: 40, keep: 'start' },
  {
    header: 'size',
    value: (r) => (r.width === null ? null : `${r.width}×${r.height} ${r.bitDepth}-bit`),
    width: 20,
  },
  providerColumn,
  errorColumn,
];

/** A stored capture as `history` and `watch` print it: the classify fields, plus where and when. */
export interface StoredReport extends CaptureReport {
  paths: string[];
  classifiedAt: string | null;
  review: { label: string; note: string; reviewer: string | null; createdAt: string } | null;
  /** What the lab counts: the standing review's label, else the model's class. */
  finalLabel: string | null;
  /** When a capture that could not be classified failed. */
  failedAt?: string;
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
    analysis: row.analysis,
    summary: row.summary,
    inScope: row.scope.inScope,
    scope: row.scope,
    uncertain: row.uncertain,
    paths: row.paths,
    classifiedAt: iso(row.classifiedAt),
    review: review && {
      label: review.label,
      note: review.note,
      reviewer: review.reviewer,
      createdAt: iso(review.createdAt),
    },
    finalLabel: row.finalLabel || null,
  };
}

/** A capture that failed, with its reason; `model` is the one that was to classify it, where known. */
export function failedCaptureReport(capture: Capture, model: ModelIdentity | null): StoredReport {
  return {
    file: capture.paths[0] ?? capture.name,
    status: 'failed',
    class: null,
    probability: null,
    probabilities: null,
    provider: null,
    model: model && { id: model.id, version: model.version, sha256: model.sha256 },
    width: capture.info.width,
    height: capture.info.height,
    bitDepth: capture.info.bitDepth,
    sha256: capture.sha256,
    analysis: null,
    summary: null,
    inScope: null,
    scope: null,
    uncertain: null,
    error: capture.failureReason ?? 'The capture could not be classified.',
    paths: capture.paths,
    classifiedAt: null,
    review: null,
    finalLabel: null,
    failedAt: iso(capture.updatedAt),
  };
}

const modelColumn: Column<StoredReport> = {
  header: 'model',
  value: (r) => r.model && `${r.model.id} ${r.model.version}`,
  width: 24,
};
// A person's label counts even out of scope; the model's class only where it could judge.
const labelColumn: Column<StoredReport> = {
  header: 'label',
  value: (r) => (r.review || judged(r) ? r.finalLabel : null),
  width: 14,
};
const modelSaidColumn: Column<StoredReport> = { ...classColumn, header: 'model said' };
const reviewColumn: Column<StoredReport> = {
  header: 'reviewed by',
  value: (r) => r.review && (r.review.reviewer ?? 'someone'),
  width: 14,
};

export const historyColumns: Column<StoredReport>[] = [
  fileColumn,
  labelColumn,
  modelSaidColumn,
  probabilityColumn,
  { header: 'classified', value: (r) => r.classifiedAt, width: 24 },
  modelColumn,
  providerColumn,
  reviewColumn,
];

/** `history --status failed` or `all`: each capture's status, when it was classified or failed, and why it failed. */
export const historyStatusColumns: Column<StoredReport>[] = [
  fileColumn,
  { header: 'status', value: (r) => r.status, width: 6 },
  labelColumn,
  modelSaidColumn,
  probabilityColumn,
  { header: 'when', value: (r) => r.classifiedAt ?? r.failedAt ?? null, width: 24 },
  modelColumn,
  providerColumn,
  reviewColumn,
  errorColumn,
];

/** CSV carries every field; the table shows the ones a person scans. */
export function csvColumns(classes: string[]): Column<CaptureReport>[] {
  return [
    { header: 'file', value: (r) => r.file },
    { header: 'status', value: (r) => r.status },
    { header: 'class', value: (r) => r.class },
    { header: 'probability', value: (r) => r.probability },
    ...classes.map((name) => ({
      header: `p(${name})`,
      value: (r: CaptureReport) => r.probabilities?.[name] ?? null,
    })),
    { header: 'analysis', value: (r) => r.analysis },
    { header: 'cells', value: (r) => r.summary?.cells ?? null },
    ...classes.map((name) => ({
      header: `fraction(${name})`,
      value: (r: CaptureReport) => r.summary?.fractions[name] ?? null,
    })),
    { header: 'mean_probability', value: (r) => r.summary?.meanProbability ?? null },
    { header: 'in_scope', value: (r) => (r.inScope === null ? null : Number(r.inScope)) },
    { header: 'scope_score', value: (r) => r.scope?.score ?? null },
    { header: 'scope_threshold', value: (r) => r.scope?.threshold ?? null },
    { header: 'scope_method', value: (r) => r.scope?.method ?? null },
    { header: 'scope_reason', value: (r) => r.scope?.reason ?? null },
    { header: 'uncertain', value: (r) => (r.uncertain === null ? null : Number(r.uncertain)) },
    { header: 'provider', value: (r) => r.provider },
    { header: 'model_id', value: (r) => r.model?.id ?? null },
    { header: 'model_version', value: (r) => r.model?.version ?? null },
    { header: 'model_sha256', value: (r) => r.model?.sha256 ?? null },
    { header: 'width', value: (r) => r.width },
    { header: 'height', value: (r) => r.height },
    { header: 'bit_depth', value: (r) => r.bitDepth },
    { header: 'sha256', value: (r) => r.sha256 },
    { header: 'error', value: (r) => r.error ?? null },
  ];
}

/** One CSV row per cell of a field (`--cells`): where it is, its class and the capture it is in. */
export function cellCsvColumns(
  classes: string[],
): Column<{ capture: CaptureReport; cell: CellReport; index: number }>[] {
  return [
    { header: 'file', value: (r) => r.capture.file },
    { header: 'sha256', value: (r) => r.capture.sha256 },
    { header: 'cell', value: (r) => r.index + 1 },
    { header: 'x', value: (r) => r.cell.x },
    { header: 'y', value: (r) => r.cell.y },
    { header: 'box_x', value: (r) => r.cell.box.x },
    { header: 'box_y', value: (r) => r.cell.box.y },
    { header: 'box_width', value: (r) => r.cell.box.width },
    { header: 'box_height', value: (r) => r.cell.box.height },
    { header: 'area', value: (r) => r.cell.area },
    { header: 'edge', value: (r) => (r.cell.edge ? 1 : 0) },
    { header: 'class', value: (r) => r.cell.class },
    { header: 'probability', value: (r) => r.cell.probability },
    ...classes.map((name) => ({
      header: `p(${name})`,
      value: (r: { cell: CellReport }) => r.cell.probabilities[name] ?? null,
    })),
    { header: 'model_id', value: (r) => r.capture.model?.id ?? null },
    { header: 'model_version', value: (r) => r.capture.model?.version ?? null },
  ];
}
