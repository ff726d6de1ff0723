import type { HistoryRow } from '../store/history.js';

/**
 * Results as CSV with every column needed to reproduce each one: where the capture was, what it
 * was, which exact model ran where and how, and what a person said about it.
 */
const cell = (value: unknown): string => {
  const text = value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

const iso = (ms: number | null | undefined): string => (ms === null || ms === undefined ? '' : new Date(ms).toISOString());

export function resultsCsvHeader(classes: string[]): string {
  return [
    'file_name',
    'paths',
    'sha256',
    'class',
    'probability',
    ...classes.map((name) => `p(${name})`),
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
    'review_label',
    'review_note',
    'reviewed_at',
  ]
    .map(cell)
    .join(',');
}

export function resultsCsvLine(row: HistoryRow, classes: string[]): string {
  return [
    row.fileName,
    row.paths.join(' | '),
    row.sha256,
    row.className,
    row.probability,
    ...classes.map((name) => row.probabilities[name] ?? ''),
    row.model.id,
    row.model.version,
    row.model.sha256,
    row.provider,
    row.preprocessing,
    row.appVersion,
    row.durationMs,
    iso(row.classifiedAt),
    row.info.width,
    row.info.height,
    row.info.bitDepth,
    row.info.channels,
    row.info.pages,
    row.info.format,
    row.info.size,
    row.review?.label,
    row.review?.note,
    iso(row.review?.createdAt),
  ]
    .map(cell)
    .join(',');
}

/** The class columns: every class of every model the rows name, in the models' own order. */
export function classesOf(models: { classes: string[] }[]): string[] {
  return [...new Set(models.flatMap((m) => m.classes))];
}

/** Whole CSV text (header + rows) for a modest set; large exports stream the same lines to a file. */
export function resultsCsv(rows: Iterable<HistoryRow>, models: { classes: string[] }[]): { csv: string; rows: number } {
  const classes = classesOf(models);
  const lines = [resultsCsvHeader(classes)];
  for (const row of rows) lines.push(resultsCsvLine(row, classes));
  return { csv: lines.join('\n') + '\n', rows: lines.length - 1 };
}
