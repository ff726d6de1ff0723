import { once } from 'node:events';
import { createWriteStream, openSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { csvLines, machineTimeZone, type CsvEntry, type ReviewedCell } from '../core/export/results-csv.js';
import { reviewedCells } from '../core/export/reviewed-cells.js';
import { defaultDatabase } from '../core/paths.js';
import { openDatabaseFile } from './database.js';
import { say } from './terminal.js';
import { UsageError } from './usage.js';

export interface ExportOptions {
  db?: string;
  out: string;
  /** One line per cell of each field instead of one per result. */
  cells?: boolean;
}

/** Waits while the stream's buffer is full, so a large export never piles up in memory. */
export async function drained(out: Writable): Promise<void> {
  if (out.errored) throw out.errored;
  if (out.writableNeedDrain) await once(out, 'drain');
}

/** The results CSV the app exports too: one line per result or failure (or per cell), every column needed to reproduce it. */
export async function writeResultsCsv(
  out: Writable,
  rows: Iterable<CsvEntry>,
  models: { classes: string[] }[],
  cellsOf?: (resultId: number) => ReviewedCell[],
): Promise<number> {
  let count = -1;
  // The command line's viewer sits at this machine: its clock's zone.
  for (const line of csvLines(rows, models, { cellsOf, timeZone: machineTimeZone() })) {
    await drained(out);
    out.write(line + '\n');
    count++;
  }
  return count;
}

/** `metascope export`: every result into one CSV file, written whole or not at all. */
export async function exportCommand(options: ExportOptions): Promise<number> {
  const store = openDatabaseFile(path.resolve(options.db ?? defaultDatabase()), { mustExist: true, reading: true });
  const target = path.resolve(options.out);
  const partial = `${target}.partial`;
  try {
    // Opened here so a missing folder or a refusal shows at once, not after the whole export.
    const stream = createWriteStream(partial, { fd: openSync(partial, 'w') });
    // Write errors surface through `drained` and `finished`: this listener only keeps them from crashing.
    stream.on('error', () => undefined);
    const cellsOf = options.cells ? reviewedCells(store) : undefined;
    const count = await writeResultsCsv(stream, store.history.export({}), store.models.list(), cellsOf);
    await finished(stream.end());
    await rename(partial, target);
    say(`Exported ${count} ${options.cells ? 'cells' : 'results'} to ${target}.`);
    return 0;
  } catch (error) {
    await rm(partial, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code && /^E[A-Z]+$/.test(code))
      throw new UsageError(
        `${target} cannot be written (${code}): check the folder exists and may be written to.`,
      );
    throw error;
  } finally {
    store.close();
  }
}
