import type { StoredCell } from '../store/cells.js';
import type { Review } from '../store/reviews.js';
import type { FailedCapture } from '../store/failures.js';
import type { HistoryRow } from '../store/history.js';
import { localIsoTime } from '../time/zone.js';
import { csvRow } from './csv.js';

/** The zone a CSV's times are written in: the viewer's (the browser's), or this machine's. */
export const machineTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone;

/** A time as the viewer's clock read it, with the offset then: '2026-12-02T09:15:03+01:00'. */
const localTime = (ms: number | null | undefined, timeZone: string): string =>
  ms === null || ms === undefined ? '' : localIsoTime(ms, timeZone);

/**
 * Results as CSV with every column needed to reproduce each one: where the capture was, what it
 * was, which exact model ran where and how, and what a person said about it; for a capture that
 * could not be classified, when and why (`state` failed, `failed_at`, `failure_reason`).
 * `final_label` is what the lab counts (the standing review, else the model's class);
 * `model_class` is what the model said.
 */
function resultsColumns(classes: string[]): string[] {
  return [
    'file_name',
    'folder',
    'paths',
    'sha256',
    'final_label',
    'model_class',
    'probability',
    'threshold',
    ...classes.map((name) => `p(${name})`),
    'analysis',
    'cells',
    ...classes.map((name) => `fraction(${name})`),
    'mean_probability',
    'in_scope',
    'scope_score',
    'scope_threshold',
    'scope_method',
    'scope_reason',
    'uncertain',
    'detector',
    'model_id',
    'model_version',
    'model_sha256',
    'provider',
    'preprocessing',
    'app_version',
    'duration_ms',
    'classified_at',
    'width',
    'height',
    'bit_depth',
    'channels',
    'pages',
    'format',
    'size_bytes',
    'reviewer',
    'review_note',
    'reviewed_at',
    'state',
    'failed_at',
    'failure_reason',
  ];
}

export const resultsCsvHeader = (classes: string[]): string => csvRow(resultsColumns(classes));

export function resultsCsvLine(row: HistoryRow, classes: string[], timeZone: string): string {
  const { threshold } = row.preprocessing;
  return csvRow([
    row.fileName,
    row.folderPath,
    row.paths.join(' | '),
    row.sha256,
    row.finalLabel,
    row.className,
    row.probability,
    // Stored with every result since the threshold became a setting: the one it was classified at.
    typeof threshold === 'number' ? threshold : null,
    ...classes.map((name) => row.probabilities[name] ?? ''),
    row.analysis,
    row.summary?.cells,
    ...classes.map((name) => row.summary?.fractions[name]),
    row.summary?.meanProbability,
    Number(row.scope.inScope),
    row.scope.score,
    row.scope.threshold,
    row.scope.method,
    row.scope.reason,
    Number(row.uncertain),
    row.detector && `${row.detector.id} ${row.detector.version} ${row.detector.sha256}`,
    row.model.id,
    row.model.version,
    row.model.sha256,
    row.provider,
    row.preprocessing,
    row.appVersion,
    row.durationMs,
    localTime(row.classifiedAt, timeZone),
    row.info.width,
    row.info.height,
    row.info.bitDepth,
    row.info.channels,
    row.info.pages,
    row.info.format,
    row.info.size,
    row.review?.reviewer,
    row.review?.note,
    localTime(row.review?.createdAt, timeZone),
    'done',
    null,
    null,
  ]);
}

/** A capture that could not be classified: what is known of its file, when it failed and why. */
export function failureCsvLine(failure: FailedCapture, classes: string[], timeZone: string): string {
  const { info } = failure;
  const known: Record<string, unknown> = {
    file_name: failure.name,
    paths: failure.paths.join(' | '),
    sha256: failure.sha256,
    width: info.width,
    height: info.height,
    bit_depth: info.bitDepth,
    channels: info.channels,
    pages: info.pages,
    format: info.format,
    size_bytes: info.size,
    state: 'failed',
    failed_at: localTime(failure.updatedAt, timeZone),
    failure_reason: failure.failureReason,
  };
  return csvRow(resultsColumns(classes).map((column) => known[column]));
}

/** A stored cell with the latest review of it, if any. */
export type ReviewedCell = StoredCell & { review?: Review };

/** One line per cell of a field: the capture's identity and model, the cell's place and class, and its review. */
export function cellsCsvHeader(classes: string[]): string {
  return csvRow([
    'file_name',
    'sha256',
    'cell',
    'x',
    'y',
    'box_x',
    'box_y',
    'box_width',
    'box_height',
    'area',
    'edge',
    'class',
    'probability',
    ...classes.map((name) => `p(${name})`),
    'in_scope',
    'scope_score',
    'scope_reason',
    'model_id',
    'model_version',
    'detector',
    'classified_at',
    'review_label',
    'reviewer',
    'review_note',
    'reviewed_at',
  ]);
}

export function cellsCsvLine(row: HistoryRow, found: ReviewedCell, classes: string[], timeZone: string): string {
  return csvRow([
    row.fileName,
    row.sha256,
    found.index + 1,
    found.x,
    found.y,
    found.box.x,
    found.box.y,
    found.box.width,
    found.box.height,
    found.area,
    found.crop.edge === true ? 1 : 0,
    found.className,
    found.probability,
    ...classes.map((name) => found.probabilities[name] ?? ''),
    Number(found.scope.inScope),
    found.scope.score,
    found.scope.reason,
    row.model.id,
    row.model.version,
    row.detector && `${row.detector.id} ${row.detector.version}`,
    localTime(row.classifiedAt, timeZone),
    found.review?.label,
    found.review?.reviewer,
    found.review?.note,
    localTime(found.review?.createdAt, timeZone),
  ]);
}

/** The class columns: every class of every model the rows name, in the models' own order. */
export function classesOf(models: { classes: string[] }[]): string[] {
  return [...new Set(models.flatMap((m) => m.classes))];
}

/** A result, or a capture that could not be classified: what the results CSV lists. */
export type CsvEntry = HistoryRow | FailedCapture;

const isFailure = (entry: CsvEntry): entry is FailedCapture => 'failureReason' in entry;

export interface CsvOptions {
  /** One line per cell of each field (a failure has none) instead of one per result. */
  cellsOf?: (resultId: number) => ReviewedCell[];
  /** The zone times are written in. */
  timeZone: string;
}

/** The lines of a CSV: one per result or failure, or with `cellsOf` one per cell of each field. */
export function* csvLines(
  rows: Iterable<CsvEntry>,
  models: { classes: string[] }[],
  { cellsOf, timeZone }: CsvOptions,
): Generator<string> {
  const classes = classesOf(models);
  yield cellsOf ? cellsCsvHeader(classes) : resultsCsvHeader(classes);
  for (const row of rows) {
    if (isFailure(row)) {
      if (!cellsOf) yield failureCsvLine(row, classes, timeZone);
    } else if (!cellsOf) yield resultsCsvLine(row, classes, timeZone);
    else for (const found of cellsOf(row.resultId)) yield cellsCsvLine(row, found, classes, timeZone);
  }
}

/** Whole CSV text (header + rows) for a modest set; large exports stream the same lines to a file. */
export function resultsCsv(
  rows: Iterable<CsvEntry>,
  models: { classes: string[] }[],
  options: CsvOptions,
): { csv: string; rows: number } {
  const lines = [...csvLines(rows, models, options)];
  return { csv: lines.join('\n') + '\n', rows: lines.length - 1 };
}
