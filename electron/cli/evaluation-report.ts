import type { Writable } from 'node:stream';
import { estimateText, type Estimate, type Evaluation } from '../core/evaluate/evaluation.js';
import type { ModelIdentity } from '../core/model/classifier.js';
import { rowWriter, type Column } from './output.js';
import { visible } from './terminal.js';

/** A capture left out of the metrics: where it is, the class its folder names, and why. */
export interface FailedCapture {
  file: string;
  class: string;
  reason: string;
}

/** What `evaluate --json` prints; report.json adds the curves behind the plots. */
export interface EvaluationReport {
  n: number;
  accuracy: Estimate;
  balancedAccuracy: Estimate;
  auc: Estimate;
  ece: Estimate;
  confusion: Evaluation['confusion'];
  perClass: Evaluation['perClass'];
  failed: FailedCapture[];
  model: Pick<ModelIdentity, 'id' | 'version' | 'sha256'>;
  bootstrap: Evaluation['bootstrap'];
}

export function evaluationReport(
  e: Evaluation,
  failed: FailedCapture[],
  model: ModelIdentity,
): EvaluationReport {
  return {
    n: e.n,
    accuracy: e.accuracy,
    balancedAccuracy: e.balancedAccuracy,
    auc: e.auc,
    ece: e.ece,
    confusion: e.confusion,
    perClass: e.perClass,
    failed,
    model: { id: model.id, version: model.version, sha256: model.sha256 },
    bootstrap: e.bootstrap,
  };
}

type Cells = (string | number | null)[];

/** A table sized to its contents (nothing is cut short), followed by a blank line. */
export function table(out: Writable, columns: { header: string; align?: 'right' }[], rows: Cells[]): void {
  const widths = columns.map((c, i) =>
    Math.max(c.header.length, ...rows.map((row) => visible(String(row[i] ?? '–')).length)),
  );
  const writer = rowWriter(
    'table',
    out,
    columns.map((c, i): Column<Cells> => ({ ...c, width: widths[i], value: (row) => row[i]! })),
    (row) => row,
  );
  rows.forEach((row) => writer.write(row));
  writer.end();
  out.write('\n');
}

/** The human-readable report: counts, metrics with intervals, the confusion matrix, failures. */
export function writeEvaluationTable(
  out: Writable,
  e: Evaluation,
  failed: FailedCapture[],
  folders: string[][],
): void {
  const { classes, bootstrap } = e;
  const rate = (x: Estimate) => estimateText(x, true);
  const level = `${bootstrap.level * 100}%`;
  out.write(
    `Evaluated ${e.n} captures in ${classes.length} classes${failed.length ? `; ${failed.length} failed and are left out` : ''}.\n` +
      `Intervals: ${level}, percentile bootstrap over ${bootstrap.resamples} resamples within each class` +
      (bootstrap.groups === null ? '.\n\n' : `, drawing whole groups (${bootstrap.groups} groups).\n\n`),
  );
  table(
    out,
    [
      { header: 'class' },
      { header: 'folder' },
      { header: 'n', align: 'right' },
      { header: 'precision' },
      { header: 'recall' },
    ],
    classes.map((name, c) => {
      const row = e.perClass[name]!;
      return [name, folders[c]!.join(', ') || '(none)', row.n, rate(row.precision), rate(row.recall)];
    }),
  );
  table(
    out,
    [{ header: 'metric' }, { header: `value [${level} interval]` }],
    [
      ['accuracy', rate(e.accuracy)],
      ['balanced accuracy', rate(e.balancedAccuracy)],
      [classes.length === 2 ? `ROC AUC, p(${classes[1]})` : 'ROC AUC, one-vs-rest mean', estimateText(e.auc)],
      [`calibration error (ECE, ${e.reliability.length} bins)`, estimateText(e.ece)],
    ],
  );
  table(
    out,
    [{ header: 'true \\ predicted' }, ...classes.map((name) => ({ header: name, align: 'right' as const }))],
    classes.map((name, c) => [name, ...e.confusion.matrix[c]!]),
  );
  if (failed.length > 0) {
    out.write(`Failed, not in the metrics (${failed.length}):\n`);
    table(
      out,
      [{ header: 'file' }, { header: 'class' }, { header: 'reason' }],
      failed.map((f) => [f.file, f.class, f.reason]),
    );
  }
}
