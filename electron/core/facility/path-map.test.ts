import { describe, expect, it } from 'vitest';
import { mapPath, parsePathRule } from './path-map.js';

describe('--path-map', () => {
  const rules = [
    'D:\\Exports=/mnt/exports',
    '/data/scope-1=/mnt/s1',
    '/data/scope-1/old/=/archive/s1-old',
  ].map(parsePathRule);

  it('maps by the longest matching prefix, Windows paths to POSIX ones', () => {
    expect(mapPath('D:\\Exports\\plate 7\\A1.tif', rules)).toBe('/mnt/exports/plate 7/A1.tif');
    expect(mapPath('/data/scope-1/a.tif', rules)).toBe('/mnt/s1/a.tif');
    expect(mapPath('/data/scope-1/old/a.tif', rules)).toBe('/archive/s1-old/a.tif');
  });

  it('never maps a longer folder name that only starts alike, and leaves unmatched paths as they are', () => {
    expect(mapPath('/data/scope-10/a.tif', rules)).toBe('/data/scope-10/a.tif');
    expect(mapPath('/elsewhere/a.tif', rules)).toBe('/elsewhere/a.tif');
  });

  it('says what a rule must look like', () => {
    expect(() => parsePathRule('/data')).toThrow(/--path-map takes FROM=TO/);
    expect(() => parsePathRule('=/mnt')).toThrow(/--path-map takes FROM=TO/);
  });
});
