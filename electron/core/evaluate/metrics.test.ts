import { describe, expect, it } from 'vitest';
import {
  accuracy,
  auc,
  balancedAccuracy,
  confusionMatrix,
  expectedCalibrationError,
  precisions,
  recalls,
  reliabilityBins,
  rocAuc,
  rocCurve,
  rocCurveArea,
  type Scored,
} from './metrics.js';

/** Two classes, p = p(class 1), decided at 0.5 as the classifier does. */
const binary = (truth: number, p: number): Scored => ({
  truth,
  predicted: p >= 0.5 ? 1 : 0,
  probabilities: [1 - p, p],
});

// Negatives score 0.1, 0.4, 0.35, 0.8; positives 0.35 (tied with a negative), 0.9, 0.85.
const twoClass = [
  binary(0, 0.1),
  binary(0, 0.4),
  binary(0, 0.35),
  binary(0, 0.8),
  binary(1, 0.35),
  binary(1, 0.9),
  binary(1, 0.85),
];

// Three classes, decided by the largest probability.
const threeClass: Scored[] = [
  { truth: 0, predicted: 0, probabilities: [0.7, 0.2, 0.1] },
  { truth: 0, predicted: 1, probabilities: [0.4, 0.5, 0.1] },
  { truth: 1, predicted: 1, probabilities: [0.2, 0.6, 0.2] },
  { truth: 1, predicted: 2, probabilities: [0.1, 0.3, 0.6] },
  { truth: 2, predicted: 2, probabilities: [0.1, 0.1, 0.8] },
  { truth: 2, predicted: 2, probabilities: [0.3, 0.3, 0.4] },
];

describe('confusion matrix, accuracy, precision and recall', () => {
  it('two classes: rows are the truth, columns the prediction', () => {
    const matrix = confusionMatrix(twoClass, 2);
    expect(matrix).toEqual([
      [3, 1],
      [1, 2],
    ]);
    expect(accuracy(twoClass)).toBeCloseTo(5 / 7, 12);
    expect(recalls(matrix)).toEqual([3 / 4, 2 / 3]);
    expect(precisions(matrix)).toEqual([3 / 4, 2 / 3]);
    expect(balancedAccuracy(matrix)).toBeCloseTo((3 / 4 + 2 / 3) / 2, 12);
  });

  it('three classes', () => {
    const matrix = confusionMatrix(threeClass, 3);
    expect(matrix).toEqual([
      [1, 1, 0],
      [0, 1, 1],
      [0, 0, 2],
    ]);
    expect(accuracy(threeClass)).toBeCloseTo(4 / 6, 12);
    expect(recalls(matrix)).toEqual([1 / 2, 1 / 2, 1]);
    expect(precisions(matrix)).toEqual([1, 1 / 2, 2 / 3]);
    expect(balancedAccuracy(matrix)).toBeCloseTo(2 / 3, 12);
  });

  it('undefined values are null: no captures, a class never chosen, a class without captures', () => {
    expect(accuracy([])).toBeNull();
    const onlyZeros = [binary(0, 0.1), binary(0, 0.2)];
    const matrix = confusionMatrix(onlyZeros, 2);
    expect(precisions(matrix)).toEqual([1, null]);
    expect(recalls(matrix)).toEqual([1, null]);
    // Balanced accuracy averages only the classes that have captures.
    expect(balancedAccuracy(matrix)).toBe(1);
    expect(balancedAccuracy(confusionMatrix([], 2))).toBeNull();
  });
});

describe('ROC AUC', () => {
  it('counts a tied positive–negative pair as half', () => {
    // Positives beat negatives in 1.5 + 4 + 4 of the 12 pairs, the tie at 0.35 counting half.
    expect(auc(twoClass, 2)).toBeCloseTo(9.5 / 12, 12);
  });

  it('is 1 when perfectly separated, 0 when reversed, 0.5 when every score ties', () => {
    const labels = [false, false, true, true];
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], labels)).toBe(1);
    expect(rocAuc([0.9, 0.8, 0.2, 0.1], labels)).toBe(0);
    expect(rocAuc([0.5, 0.5, 0.5, 0.5], labels)).toBe(0.5);
  });

  it('is null without both positives and negatives', () => {
    expect(rocAuc([0.2, 0.3], [true, true])).toBeNull();
    expect(auc([binary(0, 0.2), binary(0, 0.7)], 2)).toBeNull();
  });

  it('three classes: the mean of each class against the rest', () => {
    // Class 0: 8/8 pairs; class 1: 4 + 2.5 of 8 (a tie at 0.3); class 2: 4 + 3 of 8.
    expect(auc(threeClass, 3)).toBeCloseTo((1 + 6.5 / 8 + 7 / 8) / 3, 12);
    expect(
      auc(
        threeClass.filter((s) => s.truth !== 2),
        3,
      ),
    ).toBeNull();
  });

  it('the curve has a point per distinct score, and its trapezoid area is the AUC', () => {
    const points = rocCurve(
      twoClass.map((s) => s.probabilities[1]!),
      twoClass.map((s) => s.truth === 1),
    );
    expect(points.map((p) => [p.falsePositiveRate, p.truePositiveRate, p.threshold])).toEqual([
      [0, 0, Infinity],
      [0, 1 / 3, 0.9],
      [0, 2 / 3, 0.85],
      [1 / 4, 2 / 3, 0.8],
      [2 / 4, 2 / 3, 0.4],
      [3 / 4, 1, 0.35], // a positive and a negative tie here: a diagonal step
      [1, 1, 0.1],
    ]);
    expect(rocCurveArea(points)).toBeCloseTo(9.5 / 12, 12);
  });
});

describe('calibration', () => {
  it('bins the probability of the predicted class in tenths', () => {
    // Confidences: 0.9 ✓, 0.6 ✓, 0.65 ✓, 0.8 ✗, 0.65 ✗, 0.9 ✓, 0.85 ✓.
    const bins = reliabilityBins(twoClass);
    expect(bins).toHaveLength(10);
    expect(bins.map((b) => b.n)).toEqual([0, 0, 0, 0, 0, 0, 3, 0, 2, 2]);
    expect(bins[6]).toMatchObject({ low: 0.6, high: 0.7, accuracy: 2 / 3 });
    expect(bins[6]!.meanConfidence).toBeCloseTo(1.9 / 3, 12);
    expect(bins[8]!.accuracy).toBe(1 / 2);
    expect(bins[8]!.meanConfidence).toBeCloseTo(0.825, 12);
    expect(bins[0]).toEqual({ low: 0, high: 0.1, n: 0, accuracy: null, meanConfidence: null });
  });

  it('ECE is the count-weighted gap between accuracy and confidence', () => {
    // (3 · |2/3 − 1.9/3| + 2 · |0.5 − 0.825| + 2 · |1 − 0.9|) / 7 = (0.1 + 0.65 + 0.2) / 7
    expect(expectedCalibrationError(twoClass)).toBeCloseTo(0.95 / 7, 12);
    expect(expectedCalibrationError([])).toBeNull();
  });

  it('a probability of exactly 1 falls in the last bin', () => {
    const bins = reliabilityBins([binary(1, 1)]);
    expect(bins[9]).toMatchObject({ n: 1, accuracy: 1, meanConfidence: 1 });
    expect(expectedCalibrationError([binary(1, 1)])).toBe(0);
  });
});
