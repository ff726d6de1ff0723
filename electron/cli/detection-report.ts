import type { Writable } from 'node:stream';
import type { DetectionReport, Metric } from '../core/evaluate/detection.js';
import type { ModelIdentity } from '../core/model/classifier.js';
import { providerLabels, type ProviderName } from '../core/model/providers.js';
import { table } from './evaluation-report.js';

/** A field left out of the metrics: its files (relative to the evaluated folder) and why. */
export interface FailedField {
  name: string;
  image: string;
  mask: string;
  reason: string;
}

/** How the intervals were drawn. */
export interface FieldBootstrap {
  resamples: number;
  level: number;
  /** Whole fields are drawn: the cells of one field are not independent. */
  unit: 'field';
}

/** What `evaluate --detector --json` prints. Every metric is `{value, interval}`, null where undefined. */
export interface DetectorEvaluationReport {
  /** Fields evaluated. */
  n: number;
  /** True cells in them, and cells the detector found. */
  cells: number;
  found: number;
  /** A found cell is right when its centre falls in a true cell, each true cell taken at most once. */
  precision: Metric;
  recall: Metric;
  f1: Metric;
  /** Found and true outlines matched one to one at mask IoU ≥ 0.5; null values when the detector gives no outlines. */
  precisionIou50: Metric;
  recallIou50: Metric;
  f1Iou50: Metric;
  perField: DetectionReport['perField'];
  failed: FailedField[];
  detector: Pick<ModelIdentity, 'id' | 'version' | 'sha256'>;
  /** The detector's own time per field (decoding the files not included), and where it ran. */
  timing: { meanMsPerField: number | null; provider: ProviderName };
  bootstrap: FieldBootstrap;
}

const undefinedMetric: Metric = { value: null, interval: null };

export function detectorEvaluationReport(
  report: DetectionReport,
  failed: FailedField[],
  detector: ModelIdentity,
  timing: DetectorEvaluationReport['timing'],
  bootstrap: FieldBootstrap,
): DetectorEvaluationReport {
  return {
    n: report.n,
    cells: report.cells,
    found: report.found,
    precision: report.precision,
    recall: report.recall,
    f1: report.f1,
    precisionIou50: report.iou50?.precision ?? undefinedMetric,
    recallIou50: report.iou50?.recall ?? undefinedMetric,
    f1Iou50: report.iou50?.f1 ?? undefinedMetric,
    perField: report.perField,
    failed,
    detector: { id: detector.id, version: detector.version, sha256: detector.sha256 },
    timing,
    bootstrap,
  };
}


const percent = (v: number | null): string | null => (v === null ? null : `${(v * 100).toFixed(1)}%`);

/** `95.2% [91.0%, 98.1%]`, or `n/a` where the metric is undefined. */
const metricText = (m: Metric): string =>
  m.value === null
    ? 'n/a'
    : percent(m.value)! + (m.interval ? ` [${percent(m.interval[0])}, ${percent(m.interval[1])}]` : '');

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** The human-readable report: what was measured, the pooled metrics with intervals, one line per field, failures. */
export function writeDetectionTable(out: Writable, r: DetectorEvaluationReport, detectorName: string): void {
  const level = `${r.bootstrap.level * 100}%`;
  const outlines = r.n === 0 || r.perField.some((f) => f.iouTp !== null);
  const ms = r.timing.meanMsPerField;
  out.write(
    `Evaluated the cell finder ${detectorName} ${r.detector.version} on ${plural(r.n, 'field')}: ` +
      `${plural(r.cells, 'true cell')}, ${r.found} found` +
      (r.failed.length
        ? `; ${plural(r.failed.length, 'field')} failed and ${r.failed.length === 1 ? 'is' : 'are'} left out.\n`
        : '.\n') +
      'A found cell counts when its centre falls in a true cell (each true cell at most once)' +
      (outlines
        ? ', and at IoU ≥ 0.5 when its outline overlaps one by half or more.\n'
        : '; it gives no outlines, so there is no IoU measure.\n') +
      `Intervals: ${level}, percentile bootstrap over ${r.bootstrap.resamples} resamples of whole fields.\n` +
      (ms === null
        ? '\n'
        : `Time: ${ms.toFixed(1)} ms per field on ${providerLabels[r.timing.provider]}, decoding not included.\n\n`),
  );
  table(
    out,
    [{ header: 'metric' }, { header: `value [${level} interval]` }],
    [
      ['precision', metricText(r.precision)],
      ['recall', metricText(r.recall)],
      ['F1', metricText(r.f1)],
      ...(outlines
        ? [
            ['precision, IoU ≥ 0.5', metricText(r.precisionIou50)],
            ['recall, IoU ≥ 0.5', metricText(r.recallIou50)],
            ['F1, IoU ≥ 0.5', metricText(r.f1Iou50)],
          ]
        : []),
    ],
  );
  if (r.perField.length > 0) {
    table(
      out,
      [
        { header: 'field' },
        { header: 'cells', align: 'right' },
        { header: 'found', align: 'right' },
        { header: 'matched', align: 'right' },
        { header: 'precision', align: 'right' },
        { header: 'recall', align: 'right' },
        { header: 'F1', align: 'right' },
        ...(outlines ? [{ header: 'F1, IoU ≥ 0.5', align: 'right' as const }] : []),
      ],
      r.perField.map((f) => [
        f.name,
        f.cells,
        f.found,
        f.centreTp,
        percent(f.precision),
        percent(f.recall),
        percent(f.f1),
        ...(outlines ? [percent(f.f1Iou50)] : []),
      ]),
    );
  }
  if (r.failed.length > 0) {
    out.write(`Failed, not in the metrics (${r.failed.length}):\n`);
    table(
      out,
      [{ header: 'field' }, { header: 'reason' }],
      r.failed.map((f) => [f.name, f.reason]),
    );
  }
}
