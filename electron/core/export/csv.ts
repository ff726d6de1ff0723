/**
 * The one CSV writer: every CSV MetaScope writes (`export`, `history`, `classify` and `watch` with
 * `--format csv`, the app's Export CSV) turns its values into cells here.
 */

// A spreadsheet reads text starting with one of these as a formula (OWASP, "CSV Injection").
const formulaStart = /^[=+\-@\t\r\n]/;

/**
 * One cell. Text that a spreadsheet would run as a formula gets a leading `'`, which makes it plain
 * text, and is quoted. Numbers stay numbers: a negative coordinate or score is a value, not a formula.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return String(value);
  let text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  const formula = formulaStart.test(text);
  if (formula) text = `'${text}`;
  return formula || /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One line of cells, without its line end. */
export const csvRow = (values: readonly unknown[]): string => values.map(csvCell).join(',');
