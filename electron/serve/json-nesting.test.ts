import { describe, expect, it } from 'vitest';
import { nestedDeeperThan } from './json-nesting.js';

const deeper = (text: string, limit: number) => nestedDeeperThan(Buffer.from(text), limit);
const nested = (depth: number) =>
  JSON.stringify(Array.from({ length: depth }).reduce<unknown>((inner) => [inner], 0));

describe('nesting of a JSON text, read before parsing', () => {
  it('counts arrays and objects alike, and only up to their closing', () => {
    expect(deeper(nested(3), 3)).toBe(false);
    expect(deeper(nested(4), 3)).toBe(true);
    expect(deeper('{"a":{"b":[1]}}', 3)).toBe(false);
    expect(deeper('{"a":{"b":[{}]}}', 3)).toBe(true);
    expect(deeper('[[[]],[[]],[[]]]', 3)).toBe(false);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(deeper(JSON.stringify({ name: '[[[[{{{{' }), 1)).toBe(false);
    expect(deeper(JSON.stringify({ name: 'say "[[[[" \\' }), 1)).toBe(false);
    expect(deeper(JSON.stringify({ name: 'a\\', list: [[[]]] }), 3)).toBe(true);
    expect(deeper(JSON.stringify({ name: 'Zelle ü [[[' }), 1)).toBe(false);
  });

  it('reads a dropped capture’s base64 as one string', () => {
    const message = JSON.stringify({ files: [{ name: 'a.tif', dataBase64: 'QUJD'.repeat(1_000_000) }] });
    expect(deeper(message, 3)).toBe(false);
    expect(deeper(message, 2)).toBe(true);
  });
});
