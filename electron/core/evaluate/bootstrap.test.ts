import { describe, expect, it } from 'vitest';
import { percentileInterval, quantile, seededRandom, stratifiedResamples } from './bootstrap.js';

describe('bootstrap', () => {
  it('the generator repeats with its seed and stays in [0, 1)', () => {
    const draw = (seed: number) => Array.from({ length: 1000 }, seededRandom(seed));
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    expect(draw(42).every((v) => v >= 0 && v < 1)).toBe(true);
    const average = draw(42).reduce((a, b) => a + b, 0) / 1000;
    expect(average).toBeGreaterThan(0.45);
    expect(average).toBeLessThan(0.55);
  });

  it('resamples keep each class its size and draw only from its own members', () => {
    const strata = [0, 1, 0, 2, 1, 0];
    const resamples = stratifiedResamples(strata, 50, 7);
    expect(resamples).toHaveLength(50);
    for (const indices of resamples) {
      expect(indices).toHaveLength(strata.length);
      for (const stratum of [0, 1, 2]) {
        expect(indices.filter((i) => strata[i] === stratum)).toHaveLength(
          strata.filter((s) => s === stratum).length,
        );
      }
    }
    // With replacement: some resample repeats a capture.
    expect(resamples.some((indices) => new Set(indices).size < indices.length)).toBe(true);
    expect(stratifiedResamples(strata, 50, 7)).toEqual(resamples);
  });

  it('quantiles interpolate between neighbours; intervals skip undefined replicates', () => {
    expect(quantile([1, 2, 3, 4], 0)).toBe(1);
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4], 1)).toBe(4);
    expect(quantile([7], 0.975)).toBe(7);
    const replicates = [null, ...Array.from({ length: 101 }, (_, i) => (100 - i) / 100)];
    const [low, high] = percentileInterval(replicates, 0.95)!;
    expect(low).toBeCloseTo(0.025, 12);
    expect(high).toBeCloseTo(0.975, 12);
    expect(percentileInterval([null, null], 0.95)).toBeNull();
  });
});
