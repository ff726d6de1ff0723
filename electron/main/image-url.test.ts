import { describe, expect, it } from 'vitest';
import { imageBases, imageBounds, imagePath, imageRequest, parseImagePath } from '../contract/images.js';
import { pictureOfCapture, type PictureSource } from '../core/files/capture-pictures.js';
import { toEngine } from '../engine-process/protocol.js';
import { captureDetail } from '../engine-process/testing/capture-detail.js';
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

/**
 * The capture image request is defined once (the contract's imageRequest); each door reads it:
 * the desktop protocol, browser mode's route, the engine process's render message and the
 * engine's own door. Each query is put to all four, which must agree with the schema and each other.
 */
describe('every door reads the same image request', () => {
  const source: PictureSource = {
    handlers: { 'captures.get': async ({ sha256 }) => captureDetail(sha256, []) },
    allowedRoots: () => [],
    renderImage: async (_sha256, request) => ({
      body: Buffer.from(JSON.stringify(request)),
      mime: 'image/png',
      window: { low: 0, high: 255 },
    }),
  };

  async function readings(query: string): Promise<unknown[]> {
    const fields = Object.fromEntries(new URLSearchParams(query));
    const desktop = parseImageUrl(`${imageBases.desktop}${sha}?${query}`);
    const browser = parseImagePath(sha, new URLSearchParams(query));
    const message = toEngine.safeParse({ type: 'render', id: 1, sha256: sha, request: fields });
    const engine = await pictureOfCapture(source, sha, fields).then(
      (picture) => JSON.parse(picture.body.toString()) as unknown,
      () => null,
    );
    return [
      desktop.ok ? desktop.request : null,
      browser ? browser.request : null,
      message.success && message.data.type === 'render' ? message.data.request : null,
      engine,
    ];
  }

  const { size, page, sample } = imageBounds;
  it.each([
    '',
    `size=${size.min}`,
    `size=${size.max}`,
    `size=512&page=${page.max}&low=0&high=${sample.max}&format=png`,
    'cell=1&format=png',
  ])('all accept %j, reading it alike', async (query) => {
    const expected = imageRequest.parse(Object.fromEntries(new URLSearchParams(query)));
    expect(await readings(query)).toEqual([expected, expected, expected, expected]);
  });

  it.each([
    `size=${size.min - 1}`,
    `size=${size.max + 1}`,
    'size=12.5',
    'size=abc',
    'page=-1',
    `page=${page.max + 1}`,
    'low=5',
    'low=9&high=9',
    `low=1&high=${sample.max + 1}`,
    'format=gif',
    'cell=0',
  ])('all refuse %j', async (query) => {
    expect(await readings(query)).toEqual([null, null, null, null]);
  });

  it('the address a front end builds is always one the doors accept', () => {
    for (const wanted of [1, 10, 16, 300.4, 4096, 10_000]) {
      const parsed = parseImageUrl(imageBases.desktop + imagePath(sha, { size: wanted }));
      expect(parsed.ok, String(wanted)).toBe(true);
    }
  });
});
