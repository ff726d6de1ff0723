import { describe, expect, it } from 'vitest';
import type { ScopeVerdict } from '../model/scope.js';
import { evaluateScope, scopeScore } from './scope-evaluation.js';

const at = (score: number, threshold = 5): ScopeVerdict => ({
  inScope: score <= threshold,
  score,
  threshold,
  method: 'feature-distance',
  reason: score <= threshold ? null : 'far',
});
const refusedByInput: ScopeVerdict = { inScope: false, score: 1, threshold: 5, method: 'feature-distance', reason: 'fluorescence' };

describe('scope evaluation', () => {
  it('ranks an input refused by its input checks above any distance', () => {
    expect(scopeScore(refusedByInput)).toBeGreaterThan(scopeScore(at(1e6)));
    expect(scopeScore(at(3))).toBe(3);
  });

  it('measures AUROC and the shares at the threshold, with intervals around them', () => {
    const inside = [1, 2, 3, 4, 6].map((s) => at(s));
    const outside = [at(4.5), at(7), at(9), refusedByInput];
    const e = evaluateScope(inside, outside, { resamples: 500 });
    expect(e.acceptedInDistribution.value).toBe(0.8);
    expect(e.refusedForeign.value).toBe(0.75);
    // Pairs foreign above inside: 4.5 beats 4 of 5, 7, 9 and the refused one beat all 5: 19 of 20.
    expect(e.auroc.value).toBeCloseTo(19 / 20, 10);
    for (const metric of [e.auroc, e.acceptedInDistribution, e.refusedForeign]) {
      expect(metric.low!).toBeLessThanOrEqual(metric.value!);
      expect(metric.high!).toBeGreaterThanOrEqual(metric.value!);
    }
    expect(evaluateScope(inside, outside, { resamples: 500 })).toEqual(e);
  });
});
