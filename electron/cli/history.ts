import path from 'node:path';
import type { Writable } from 'node:stream';
import type { CsvEntry } from '../core/export/results-csv.js';
import { defaultDatabase } from '../core/paths.js';
import type { FailedCapture } from '../core/store/failures.js';
import type { HistoryRow } from '../core/store/history.js';
import type { Store } from '../core/store/store.js';
import { drained, writeResultsCsv } from './export.js';
import { rowWriter, type OutputFormat } from './output.js';
import { failedCaptureReport, historyColumns, historyStatusColumns, storedReportOf } from './report.js';
import { openDatabaseFile } from './database.js';
import { facilityHistoryCommand } from './facility.js';
import { say } from './terminal.js';
import { UsageError } from './usage.js';

/** ok: classified captures (the default); failed: those that could not be classified; all: both. */
export const historyStatuses = ['ok', 'failed', 'all'] as const;
export type HistoryStatus = (typeof historyStatuses)[number];

export interface HistoryOptions {
  db?: string;
  class?: string;
  /** Only results classified (or captures failed) at or after this time (ms since 1970). */
  since?: number;
  status?: HistoryStatus;
  format: OutputFormat;
  /** Read the facility's history (every workstation's) instead of this computer's database. */
  facility?: string;
  passwordFile?: string;
  workstation?: string;
  microscope?: string;
}

/** `metascope history`: stored results and failures, oldest first; CSV is the same file `export` writes. */
export async function historyCommand(
  options: HistoryOptions,
  out: Writable = process.stdout,
): Promise<number> {
  if (options.facility) return facilityHistoryCommand({ ...options, facility: options.facility });
  if (options.workstation || options.microscope)
    throw new UsageError('--workstation and --microscope filter a facility history: add --facility with its address.');
  const store = openDatabaseFile(path.resolve(options.db ?? defaultDatabase()), { mustExist: true, reading: true });
  try {
    const status = options.status ?? 'ok';
    if (status === 'failed' && options.class)
      throw new UsageError(
        'A capture that could not be classified has no class: leave out --class with --status failed.',
      );
    const entries = entriesOf(store, status, options);
    if (options.format === 'csv') {
      await writeResultsCsv(out, entries, store.models.list());
      return 0;
    }
    const writer = rowWriter(
      options.format,
      out,
      status === 'ok' ? historyColumns : historyStatusColumns,
      (r) => r,
    );
    for (const entry of entries) {
      await drained(out);
      writer.write(isFailure(entry) ? failedCaptureReport(entry, null) : storedReportOf(entry));
    }
    writer.end();
    const failed =
      status === 'ok' && options.format === 'table' && !options.class ? failedSince(store, options.since) : 0;
    if (failed > 0)
      say(
        `${failed} capture${failed === 1 ? '' : 's'} could not be classified and ${failed === 1 ? 'is' : 'are'} not listed: add --status failed to see why.`,
      );
    return 0;
  } finally {
    store.close();
  }
}

const isFailure = (entry: CsvEntry): entry is FailedCapture => 'failureReason' in entry;

const failedSince = (store: Store, since: number | undefined): number =>
  store.failures.page({ from: since }, 'asc', { limit: 0, offset: 0 }).total;

/** What the status asks for, oldest first; a failure has no class, so `--class` lists results only. */
function entriesOf(store: Store, status: HistoryStatus, options: HistoryOptions): Iterable<CsvEntry> {
  const results = () => store.history.export({ className: options.class, from: options.since });
  const failures = () => (options.class ? [] : store.failures.export({ from: options.since }));
  if (status === 'ok') return results();
  if (status === 'failed') return failures();
  return byTime(results(), failures());
}

/** Results and failures in one stream, each in time order already: merged by when they were classified or failed. */
function* byTime(results: Iterable<HistoryRow>, failures: Iterable<FailedCapture>): Generator<CsvEntry> {
  const failed = failures[Symbol.iterator]();
  let next = failed.next();
  for (const row of results) {
    for (; !next.done && next.value.updatedAt < row.classifiedAt; next = failed.next()) yield next.value;
    yield row;
  }
  for (; !next.done; next = failed.next()) yield next.value;
}
