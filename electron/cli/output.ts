import type { Writable } from 'node:stream';
import { csvRow } from '../core/export/csv.js';

export type OutputFormat = 'table' | 'csv' | 'json';
export const outputFormats: OutputFormat[] = ['table', 'csv', 'json'];

export interface Column<Row> {
  header: string;
  value: (row: Row) => string | number | null;
  /** Table width; long values are shortened from the left (file paths keep their names). */
  width?: number;
  align?: 'left' | 'right';
}

export interface RowWriter<Row> {
  write(row: Row): void;
  end(): void;
}

const fit = (text: string, width: number, align: 'left' | 'right'): string => {
  const shown = text.length > width ? `…${text.slice(text.length - width + 1)}` : text;
  return align === 'right' ? shown.padStart(width) : shown.padEnd(width);
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
      const line = columns.map((c) => fit(c.header, c.width ?? 12, c.align ?? 'left')).join('  ');
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
            .map((c, i) => fit(cells[i] === null ? '–' : String(cells[i]), c.width ?? 12, c.align ?? 'left'))
            .join('  ')
            .trimEnd() + '\n',
        );
    },
    end() {
      if (format !== 'json') header();
    },
  };
}
