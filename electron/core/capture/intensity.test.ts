import { describe, expect, it } from 'vitest';
import { histogram, percentileWindow, scalingTable } from './intensity.js';

describe('histogram', () => {
  it('counts each raw value, over 256 or 65536 bins', () => {
    const counts8 = histogram(Uint8Array.from([0, 3, 3, 255]), 8);
    expect(counts8.length).toBe(256);
    expect([counts8[0], counts8[3], counts8[255], counts8[1]]).toEqual([1, 2, 1, 0]);
    const counts16 = histogram(Uint16Array.from([4095, 4095, 65535]), 16);
    expect(counts16.length).toBe(65536);
    expect([counts16[4095], counts16[65535]]).toEqual([2, 1]);
  });
});

describe('percentileWindow', () => {
  it('picks the values at the ranks floor(p / 100 · (n − 1)), whatever the order', () => {
    // 10 values 100, 200, …, 1000 shuffled: rank floor(0.2 · 9) = 1 → 200, floor(0.8 · 9) = 7 → 800.
    const data = Uint16Array.from([700, 100, 1000, 300, 900, 200, 500, 800, 400, 600]);
    expect(percentileWindow(data, 16, 20, 80)).toEqual({ low: 200, high: 800 });
    expect(percentileWindow(data, 16, 0, 100)).toEqual({ low: 100, high: 1000 });
  });

  it('ignores a few outliers at the 0.5 and 99.5 percentiles', () => {
    // 1000 pixels: one dead pixel at 0, one hot pixel at 65535, the rest 1000..1997.
    const data = new Uint16Array(1000);
    for (let i = 0; i < 1000; i++) data[i] = 1000 + i;
    data[0] = 0;
    data[999] = 65535;
    // ranks floor(0.005 · 999) = 4 and floor(0.995 · 999) = 994 of the sorted values.
    expect(percentileWindow(data, 16, 0.5, 99.5)).toEqual({ low: 1004, high: 1994 });
  });

  it('keeps high above low on a flat image', () => {
    expect(percentileWindow(new Uint8Array(50).fill(42), 8, 1, 99)).toEqual({ low: 42, high: 43 });
  });
});

describe('scalingTable', () => {
  it('maps the window to 0..1, clips outside it, then applies mean and std', () => {
    const table = scalingTable(8, { low: 50, high: 150 }, 0.5, 0.25);
    expect(table.length).toBe(256);
    expect(table[0]).toBeCloseTo(-2, 6); // clipped to 0: (0 − 0.5) / 0.25
    expect(table[50]).toBeCloseTo(-2, 6);
    expect(table[75]).toBeCloseTo(-1, 6); // 0.25
    expect(table[100]).toBeCloseTo(0, 6); // 0.5
    expect(table[150]).toBeCloseTo(2, 6); // 1
    expect(table[255]).toBeCloseTo(2, 6); // clipped to 1
  });

  it('covers all 65536 values of 16-bit data', () => {
    const table = scalingTable(16, { low: 0, high: 4095 });
    expect(table.length).toBe(65536);
    expect(table[4095]).toBe(1);
    expect(table[2048]).toBeCloseTo(2048 / 4095, 6);
    expect(table[65535]).toBe(1);
  });
});
