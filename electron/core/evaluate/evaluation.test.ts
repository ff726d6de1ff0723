import { describe, expect, it } from 'vitest';
import { seededRandom } from './bootstrap.js';
import { estimateText, evaluate, type Estimate, type Evaluation } from './evaluation.js';
import type { Scored } from './metrics.js';

/** 120 captures of two classes whose p(class 1) overlaps: every metric is away from its bounds. */
function noisyCaptures(): Scored[] {
  const random = seededRandom(3);
  return Array.from({ length: 120 }, (_, i) => {
    const truth = i % 3 === 0 ? 1 : 0;
    const p = Math.min(0.99, Math.max(0.01, (truth ? 0.65 : 0.35) + (random() - 0.5) * 0.8));
    return { truth, predicted: p >= 0.5 ? 1 : 0, probabilities: [1 - p, p] };
  });
}

const estimates = (e: Evaluation): [string, Estimate][] => [
  ['accuracy', e.accuracy],
  ['balancedAccuracy', e.balancedAccuracy],
  ['auc', e.auc],
  ['ece', e.ece],
  ...Object.entries(e.perClass).flatMap(([name, c]): [string, Estimate][] => [
    [`${name} precision`, c.precision],
    [`${name} recall`, c.recall],
  ]),
];

describe('evaluate', () => {
  const samples = noisyCaptures();
  const evaluation = evaluate(samples, ['benign', 'invasive']);

  it('gives each metric a 95% interval around its value', () => {
    expect(evaluation.n).toBe(120);
    expect(evaluation.bootstrap).toEqual({ resamples: 1000, seed: 1, level: 0.95, stratified: true, groups: null });
    for (const [name, e] of estimates(evaluation)) {
      expect(e.low, name).toBeLessThanOrEqual(e.value!);
      expect(e.high, name).toBeGreaterThanOrEqual(e.value!);
      expect(e.high! - e.low!, name).toBeGreaterThan(0);
    }
    expect(evaluation.perClass.invasive!.n).toBe(40);
    expect(evaluation.confusion.classes).toEqual(['benign', 'invasive']);
    expect(evaluation.confusion.matrix.flat().reduce((a, b) => a + b, 0)).toBe(120);
  });

  it('gives the same intervals for the same seed, others for another', () => {
    expect(evaluate(samples, ['benign', 'invasive'])).toEqual(evaluation);
    const reseeded = evaluate(samples, ['benign', 'invasive'], { seed: 2 });
    // A continuous metric: its interval moves with the resamples while its value stays.
    expect(reseeded.ece.value).toBe(evaluation.ece.value);
    expect(reseeded.ece.low).not.toBe(evaluation.ece.low);
  });

  it('gives the curves to plot: one ROC curve for two classes, ten reliability bins', () => {
    expect(evaluation.roc).toHaveLength(1);
    expect(evaluation.roc[0]!.positive).toBe('invasive');
    expect(evaluation.roc[0]!.points.at(-1)).toMatchObject({ falsePositiveRate: 1, truePositiveRate: 1 });
    expect(evaluation.reliability.map((b) => b.n).reduce((a, b) => a + b, 0)).toBe(120);
    const three = evaluate([{ truth: 2, predicted: 2, probabilities: [0.1, 0.1, 0.8] }], ['a', 'b', 'c'], {
      resamples: 10,
    });
    expect(three.roc.map((c) => c.positive)).toEqual(['a', 'b', 'c']);
  });

  it('a metric undefined on the data is null, interval and all', () => {
    const oneClass = evaluate(
      samples.filter((s) => s.truth === 0),
      ['benign', 'invasive'],
      { resamples: 50 },
    );
    expect(oneClass.auc).toEqual({ value: null, low: null, high: null });
    expect(oneClass.perClass.invasive).toEqual({
      n: 0,
      precision: { value: 0, low: 0, high: 0 },
      recall: { value: null, low: null, high: null },
    });
    expect(evaluate([], ['a', 'b'], { resamples: 5 }).accuracy).toEqual({
      value: null,
      low: null,
      high: null,
    });
  });

  it('reads as value [low, high]', () => {
    expect(estimateText({ value: 0.9534, low: 0.9, high: 0.98 })).toBe('0.953 [0.900, 0.980]');
    expect(estimateText({ value: 0.9534, low: 0.9, high: 0.98 }, true)).toBe('95.3% [90.0%, 98.0%]');
    expect(estimateText({ value: null, low: null, high: null })).toBe('n/a');
  });
});
