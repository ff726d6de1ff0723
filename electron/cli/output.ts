import type { Writable } from 'node:stream';
import { csvRow } from '../core/export/csv.js';
import { visible } from './terminal.js';

export type OutputFormat = 'table' | 'csv' | 'json';
export const outputFormats: OutputFormat[] = ['table', 'csv', 'json'];

export interface Column<Row> {
  header: string;
  value: (row: Row) => string | number | null;
  /** Table width; a longer value loses its start (a path keeps its file name), or with `keep: 'start'` its end. */
  width?: number;
  /** 'start' for sentences, which must keep their beginning. */
  keep?: 'start' | 'end';
  align?: 'left' | 'right';
}

export interface RowWriter<Row> {
  write(row: Row): void;
  end(): void;
}

const fit = (raw: string, column: Pick<Column<unknown>, 'width' | 'keep' | 'align'>): string => {
  const text = visible(raw);
  const width = column.width ?? 12;
  let shown = text;
  if (text.length > width)
    shown =
      column.keep === 'start' ? `${text.slice(0, width - 1)}…` : `…${text.slice(text.length - width + 1)}`;
  return column.align === 'right' ? shown.padStart(width) : shown.padEnd(width);
};

/** Streams rows as a table, CSV or one JSON object per line, as they arrive. */
export function rowWriter<Row>(
  format: OutputFormat,
  out: Writable,
  columns: Column<Row>[],
  toJson: (row: Row) => unknown,
): RowWriter<Row> {
  let started = false;
  const header = (): void => {
    if (started) return;
    started = true;
    if (format === 'csv') out.write(csvRow(columns.map((c) => c.header)) + '\n');
    if (format === 'table') {
      const line = columns.map((c) => fit(c.header, c)).join('  ');
      out.write(`${line.trimEnd()}\n${'─'.repeat(line.trimEnd().length)}\n`);
    }
  };
  return {
    write(row) {
      if (format === 'json') {
        out.write(JSON.stringify(toJson(row)) + '\n');
        return;
      }
      header();
      const cells = columns.map((c) => c.value(row));
      if (format === 'csv') out.write(csvRow(cells) + '\n');
      else
        out.write(
          columns
            .map((c, i) => fit(cells[i] === null ? '–' : String(cells[i]), c))
            .join('  ')
            .trimEnd() + '\n',
        );
    },
    end() {
      if (format !== 'json') header();
    },
  };
}
