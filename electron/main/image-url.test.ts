import { describe, expect, it } from 'vitest';
import { imageBases, imagePath } from '../contract/images.js';
import { parseImageUrl } from './image-url.js';

const sha = 'a'.repeat(64);

describe('parseImageUrl', () => {
  it('reads a capture address with its parameters', () => {
    expect(
      parseImageUrl(`metascope-image://capture/${sha}?size=512&page=2&low=100&high=4000&format=png`),
    ).toEqual({
      ok: true,
      sha256: sha,
      request: { size: 512, page: 2, low: 100, high: 4000, format: 'png' },
    });
  });

  it('fills in the defaults', () => {
    expect(parseImageUrl(`metascope-image://capture/${sha}`)).toMatchObject({
      ok: true,
      request: { size: 256, format: 'webp' },
    });
  });

  it('accepts what the renderer builds', () => {
    const url = imageBases.desktop + imagePath(sha, { size: 192, format: 'webp', low: 3, high: 9 });
    expect(parseImageUrl(url)).toMatchObject({ ok: true, request: { size: 192, low: 3, high: 9 } });
  });

  it('refuses other routes, hosts, schemes and malformed hashes', () => {
    for (const url of [
      `metascope-image://file/${sha}`,
      `metascope-image://capture/${sha}/extra`,
      `metascope-image://capture/${sha.toUpperCase()}`,
      `metascope-image://capture/${sha.slice(1)}`,
      `metascope-image://capture/..%2f..%2fetc%2fpasswd`,
      `metascope-image://capture/%2e%2e`,
      `metascope-image://user@capture/${sha}`,
      `metascope-image://capture:8080/${sha}`,
      `app://capture/${sha}`,
      'not a url',
    ]) {
      expect(parseImageUrl(url).ok, url).toBe(false);
    }
  });

  it('refuses parameters out of range or half a window', () => {
    for (const query of [
      'size=1',
      'size=100000',
      'size=abc',
      'page=-1',
      'low=5',
      'low=9&high=3',
      'low=-1&high=3',
      'format=gif',
    ]) {
      expect(parseImageUrl(`metascope-image://capture/${sha}?${query}`).ok, query).toBe(false);
    }
  });
});
