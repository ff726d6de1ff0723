import { percentileInterval, stratifiedResamples } from './bootstrap.js';
import {
  accuracy,
  auc,
  balancedAccuracy,
  confusionMatrix,
  expectedCalibrationError,
  precisions,
  recalls,
  reliabilityBins,
  rocCurve,
  rocTasks,
  type ReliabilityBin,
  type RocPoint,
  type Scored,
} from './metrics.js';

/** A metric and its bootstrap interval; all null where the metric is undefined on this data. */
export interface Estimate {
  value: number | null;
  low: number | null;
  high: number | null;
}

const asText = (v: number, percent: boolean): string => (percent ? `${(v * 100).toFixed(1)}%` : v.toFixed(3));

/** `0.953 [0.921, 0.978]` (or `91.7% [87.3%, 95.5%]` for a rate); `n/a` where undefined. */
export function estimateText(e: Estimate, percent = false): string {
  if (e.value === null) return 'n/a';
  const interval =
    e.low === null || e.high === null ? '' : ` [${asText(e.low, percent)}, ${asText(e.high, percent)}]`;
  return asText(e.value, percent) + interval;
}

export interface Evaluation {
  classes: string[];
  n: number;
  accuracy: Estimate;
  balancedAccuracy: Estimate;
  /** Two classes: how well p(classes[1]) ranks classes[1] first. More: the one-vs-rest macro mean. */
  auc: Estimate;
  /** Expected calibration error over equal-width bins of the predicted class's probability. */
  ece: Estimate;
  confusion: { classes: string[]; matrix: number[][] };
  perClass: Record<string, { n: number; precision: Estimate; recall: Estimate }>;
  /** One curve for two classes (positive: classes[1]); one per class against the rest for more. */
  roc: { positive: string; points: RocPoint[] }[];
  reliability: ReliabilityBin[];
  /** `groups`: how many groups were resampled whole (null: each capture on its own). */
  bootstrap: { resamples: number; seed: number; level: number; stratified: true; groups: number | null };
}

export interface EvaluationOptions {
  resamples?: number;
  seed?: number;
  level?: number;
  bins?: number;
  /** Per sample, the group it is resampled with (e.g. its microscope frame). */
  groups?: readonly string[];
}

interface Point {
  matrix: number[][];
  accuracy: number | null;
  balancedAccuracy: number | null;
  auc: number | null;
  ece: number | null;
  precision: (number | null)[];
  recall: (number | null)[];
}

function pointMetrics(samples: readonly Scored[], classCount: number, bins: number): Point {
  const matrix = confusionMatrix(samples, classCount);
  return {
    matrix,
    accuracy: accuracy(samples),
    balancedAccuracy: balancedAccuracy(matrix),
    auc: auc(samples, classCount),
    ece: expectedCalibrationError(samples, bins),
    precision: precisions(matrix),
    recall: recalls(matrix),
  };
}

/** Every metric with its percentile interval over class-stratified (and optionally grouped) bootstrap resamples. */
export function evaluate(
  samples: readonly Scored[],
  classes: string[],
  options: EvaluationOptions = {},
): Evaluation {
  const { resamples = 1000, seed = 1, level = 0.95, bins = 10, groups } = options;
  const point = pointMetrics(samples, classes.length, bins);
  const replicates = stratifiedResamples(
    samples.map((s) => s.truth),
    resamples,
    seed,
    groups,
  ).map((indices) =>
    pointMetrics(
      indices.map((i) => samples[i]!),
      classes.length,
      bins,
    ),
  );
  const estimate = (value: number | null, of: (p: Point) => number | null): Estimate => {
    const interval = value === null ? null : percentileInterval(replicates.map(of), level);
    return { value, low: interval?.[0] ?? null, high: interval?.[1] ?? null };
  };
  return {
    classes,
    n: samples.length,
    accuracy: estimate(point.accuracy, (p) => p.accuracy),
    balancedAccuracy: estimate(point.balancedAccuracy, (p) => p.balancedAccuracy),
    auc: estimate(point.auc, (p) => p.auc),
    ece: estimate(point.ece, (p) => p.ece),
    confusion: { classes, matrix: point.matrix },
    perClass: Object.fromEntries(
      classes.map((name, c) => [
        name,
        {
          n: point.matrix[c]!.reduce((a, b) => a + b, 0),
          precision: estimate(point.precision[c]!, (p) => p.precision[c]!),
          recall: estimate(point.recall[c]!, (p) => p.recall[c]!),
        },
      ]),
    ),
    roc: rocTasks(samples, classes.length).map((t) => ({
      positive: classes[t.positive]!,
      points: rocCurve(t.scores, t.labels),
    })),
    reliability: reliabilityBins(samples, bins),
    bootstrap: { resamples, seed, level, stratified: true, groups: groups ? new Set(groups).size : null },
  };
}
