import path from 'node:path';
import type { Writable } from 'node:stream';
import { defaultDatabase } from '../core/paths.js';
import { drained, writeResultsCsv } from './export.js';
import { rowWriter, type OutputFormat } from './output.js';
import { historyColumns, storedReportOf } from './report.js';
import { openDatabaseFile } from './database.js';

export interface HistoryOptions {
  db?: string;
  class?: string;
  /** Only results classified at or after this time (ms since 1970). */
  since?: number;
  format: OutputFormat;
}

/** `metascope history`: stored results, oldest first; CSV is the same file `export` writes. */
export async function historyCommand(options: HistoryOptions, out: Writable = process.stdout): Promise<number> {
  const store = openDatabaseFile(path.resolve(options.db ?? defaultDatabase()), { mustExist: true, reading: true });
  try {
    const rows = store.history.export({ className: options.class, from: options.since });
    if (options.format === 'csv') {
      await writeResultsCsv(out, rows, store.models.list());
      return 0;
    }
    const writer = rowWriter(options.format, out, historyColumns, (r) => r);
    for (const row of rows) {
      await drained(out);
      writer.write(storedReportOf(row));
    }
    writer.end();
    return 0;
  } finally {
    store.close();
  }
}
