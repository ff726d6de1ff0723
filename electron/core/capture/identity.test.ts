import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { contentSha256 } from './identity.js';

describe('contentSha256', () => {
  it('is the SHA-256 of the bytes, in hex', async () => {
    // FIPS 180-2's test vector for "abc".
    expect(await contentSha256(new TextEncoder().encode('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    const field = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 31) % 251);
    expect(await contentSha256(field)).toBe(createHash('sha256').update(field).digest('hex'));
  });

  it('hashes a view into a larger buffer by the view alone', async () => {
    const whole = new TextEncoder().encode('xxabcxx');
    expect(await contentSha256(whole.subarray(2, 5))).toBe(await contentSha256(new TextEncoder().encode('abc')));
  });
});
