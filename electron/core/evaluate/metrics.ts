/**
 * Point metrics of a classifier on labelled captures. Pure functions over class indices, so the
 * bootstrap can call them thousands of times and tests can check them by hand.
 */

/** One evaluated capture: its true class, the class the model chose, and the class probabilities. */
export interface Scored {
  truth: number;
  predicted: number;
  /** By class index, as the model's classes are ordered. */
  probabilities: readonly number[];
}

export interface RocPoint {
  falsePositiveRate: number;
  truePositiveRate: number;
  /** Scores at or above this count as positive; Infinity (null in JSON) for the (0, 0) corner. */
  threshold: number;
}

export interface ReliabilityBin {
  low: number;
  high: number;
  n: number;
  /** Both null for an empty bin. */
  accuracy: number | null;
  meanConfidence: number | null;
}

const ratio = (a: number, b: number): number | null => (b === 0 ? null : a / b);
const mean = (values: number[]): number | null =>
  values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;

export const accuracy = (samples: readonly Scored[]): number | null =>
  ratio(samples.filter((s) => s.truth === s.predicted).length, samples.length);

/** Rows are the true class, columns the predicted one. */
export function confusionMatrix(samples: readonly Scored[], classCount: number): number[][] {
  const matrix = Array.from({ length: classCount }, () => new Array<number>(classCount).fill(0));
  for (const s of samples) matrix[s.truth]![s.predicted]!++;
  return matrix;
}

/** Recall of each class: null for a class without captures. */
export const recalls = (matrix: number[][]): (number | null)[] =>
  matrix.map((row, c) =>
    ratio(
      row[c]!,
      row.reduce((a, b) => a + b, 0),
    ),
  );

/** Precision of each class: null for a class the model never chose. */
export const precisions = (matrix: number[][]): (number | null)[] =>
  matrix.map((row, c) =>
    ratio(
      row[c]!,
      matrix.reduce((sum, r) => sum + r[c]!, 0),
    ),
  );

/** The mean recall over the classes that have captures (as scikit-learn counts it). */
export const balancedAccuracy = (matrix: number[][]): number | null =>
  mean(recalls(matrix).filter((r): r is number => r !== null));

/**
 * The chance that a random positive scores above a random negative, a tie counting half
 * (Mann–Whitney U from mid-ranks). Null without both positives and negatives.
 */
export function rocAuc(scores: readonly number[], positive: readonly boolean[]): number | null {
  const order = scores.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let positives = 0;
  let rankSum = 0;
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end < order.length && scores[order[end]!] === scores[order[start]!]) end++;
    const midRank = (start + 1 + end) / 2;
    for (let i = start; i < end; i++) {
      if (positive[order[i]!]) {
        positives++;
        rankSum += midRank;
      }
    }
    start = end;
  }
  const negatives = scores.length - positives;
  if (positives === 0 || negatives === 0) return null;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** The ROC curve from (0, 0) to (1, 1), one point per distinct score; its trapezoid area is rocAuc. */
export function rocCurve(scores: readonly number[], positive: readonly boolean[]): RocPoint[] {
  const order = scores.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  const positives = positive.filter(Boolean).length;
  const negatives = positive.length - positives;
  const points: RocPoint[] = [{ falsePositiveRate: 0, truePositiveRate: 0, threshold: Infinity }];
  let tp = 0;
  let fp = 0;
  for (let start = 0; start < order.length;) {
    const threshold = scores[order[start]!]!;
    let end = start;
    for (; end < order.length && scores[order[end]!] === threshold; end++) {
      if (positive[order[end]!]) tp++;
      else fp++;
    }
    points.push({
      falsePositiveRate: ratio(fp, negatives) ?? 0,
      truePositiveRate: ratio(tp, positives) ?? 0,
      threshold,
    });
    start = end;
  }
  return points;
}

/** The area under a curve's points by trapezoids: its AUC, ties included. */
export const rocCurveArea = (points: readonly RocPoint[]): number =>
  points
    .slice(1)
    .reduce(
      (sum, p, i) =>
        sum +
        ((p.falsePositiveRate - points[i]!.falsePositiveRate) *
          (p.truePositiveRate + points[i]!.truePositiveRate)) /
          2,
      0,
    );

/** What each ROC curve scores: p(classes[1]) for two classes, each class against the rest for more. */
export function rocTasks(
  samples: readonly Scored[],
  classCount: number,
): { positive: number; scores: number[]; labels: boolean[] }[] {
  const task = (c: number) => ({
    positive: c,
    scores: samples.map((s) => s.probabilities[c]!),
    labels: samples.map((s) => s.truth === c),
  });
  return classCount === 2 ? [task(1)] : Array.from({ length: classCount }, (_, c) => task(c));
}

/** ROC AUC for two classes; the one-vs-rest macro mean for more, null if any class cannot be scored. */
export function auc(samples: readonly Scored[], classCount: number): number | null {
  const areas = rocTasks(samples, classCount).map((t) => rocAuc(t.scores, t.labels));
  return areas.includes(null) ? null : mean(areas as number[]);
}

/** Equal-width bins over the probability of the predicted class; the last bin includes 1. */
export function reliabilityBins(samples: readonly Scored[], binCount = 10): ReliabilityBin[] {
  const members = Array.from({ length: binCount }, () => [] as Scored[]);
  for (const s of samples) {
    const confidence = s.probabilities[s.predicted]!;
    members[Math.min(binCount - 1, Math.floor(confidence * binCount))]!.push(s);
  }
  return members.map((bin, i) => ({
    low: i / binCount,
    high: (i + 1) / binCount,
    n: bin.length,
    accuracy: accuracy(bin),
    meanConfidence: mean(bin.map((s) => s.probabilities[s.predicted]!)),
  }));
}

/** Σ over bins of (share of captures) · |accuracy − mean confidence|. */
export function expectedCalibrationError(samples: readonly Scored[], binCount = 10): number | null {
  if (samples.length === 0) return null;
  return reliabilityBins(samples, binCount).reduce(
    (sum, b) => (b.n === 0 ? sum : sum + (b.n / samples.length) * Math.abs(b.accuracy! - b.meanConfidence!)),
    0,
  );
}
