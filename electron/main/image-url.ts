import { imageBases, parseImagePath, type ImageRequest } from '../contract/images.js';

/**
 * `metascope-image://capture/<sha256>?size=&page=&low=&high=&format=`: a rendition of one capture,
 * made by the engine. The query is parsed by the contract's own parser (the same one browser mode
 * uses); this adds the checks on the rest of the URL. Pure: no electron import.
 */
export type ParsedImageUrl =
  { ok: true; sha256: string; request: ImageRequest } | { ok: false; status: 400 | 404; reason: string };

const base = new URL(imageBases.desktop);

export function parseImageUrl(url: string): ParsedImageUrl {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, status: 400, reason: 'Not a URL.' };
  }
  if (parsed.protocol !== base.protocol) return { ok: false, status: 400, reason: 'Wrong scheme.' };
  if (parsed.username || parsed.password || parsed.port)
    return { ok: false, status: 400, reason: 'Unexpected URL parts.' };
  if (parsed.host !== base.host) return { ok: false, status: 404, reason: 'Unknown image route.' };
  const match = /^\/([^/]+)$/.exec(parsed.pathname);
  const found = match ? parseImagePath(match[1] as string, parsed.searchParams) : null;
  if (!found) return { ok: false, status: 400, reason: 'Not a valid capture image address.' };
  return { ok: true, sha256: found.sha256, request: found.request };
}
