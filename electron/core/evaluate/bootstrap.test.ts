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

  it('with groups, draws whole groups within each class: captures of one frame stay together', () => {
    const strata = [0, 0, 0, 1, 1];
    const groups = ['frame-a', 'frame-a', 'frame-b', 'frame-c', 'frame-c'];
    const resamples = stratifiedResamples(strata, 200, 3, groups);
    const count = (indices: number[], i: number) => indices.filter((j) => j === i).length;
    for (const indices of resamples) {
      expect(count(indices, 0)).toBe(count(indices, 1)); // frame-a's two cells come and go together
      expect(indices.filter((i) => strata[i] === 1)).toEqual([3, 4]); // class 1 has one frame: always it
      expect(count(indices, 0) + count(indices, 2)).toBe(2); // two frames drawn for class 0
    }
    const sizes = new Set(resamples.map((indices) => indices.length));
    expect(sizes).toEqual(new Set([4, 5, 6])); // b+b, a+b, a+a: sizes follow the frames drawn
    // Without groups, each capture is its own group: the same draws as before groups existed.
    expect(stratifiedResamples(strata, 20, 3, strata.map((_, i) => String(i)))).toEqual(stratifiedResamples(strata, 20, 3));
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
