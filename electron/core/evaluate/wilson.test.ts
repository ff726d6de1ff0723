import { describe, expect, it } from 'vitest';
import { wilsonInterval } from './wilson.js';

describe('wilsonInterval', () => {
  it('matches published values', () => {
    // Newcombe (1998), table I: 81 of 263 → 0.2553 to 0.3662; 15 of 148 → 0.0624 to 0.1605.
    const a = wilsonInterval(81, 263)!;
    expect(a.low).toBeCloseTo(0.2553, 4);
    expect(a.high).toBeCloseTo(0.3662, 4);
    const b = wilsonInterval(15, 148)!;
    expect(b.low).toBeCloseTo(0.0624, 4);
    expect(b.high).toBeCloseTo(0.1605, 4);
  });

  it('stays inside 0 and 1 for none and all, and is undefined without trials', () => {
    // 0 of 10: 0 to 0.2775; 10 of 10: 0.7225 to 1.
    expect(wilsonInterval(0, 10)!.low).toBe(0);
    expect(wilsonInterval(0, 10)!.high).toBeCloseTo(0.2775, 4);
    expect(wilsonInterval(10, 10)!.low).toBeCloseTo(0.7225, 4);
    expect(wilsonInterval(10, 10)!.high).toBe(1);
    expect(wilsonInterval(0, 0)).toBeNull();
  });
});
