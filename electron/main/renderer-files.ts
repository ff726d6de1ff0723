import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { resolveAllowedFile } from '../core/files/path-guard.js';
import { appOrigin } from './csp.js';

/**
 * What app://metascope/<path> serves: files of the built renderer (dist/renderer), nothing else.
 * The path guard decides which file (inside the folder, a listed type, no link out, a regular
 * file); the bytes are read with fs.readFile, because in an installed app the folder is inside
 * app.asar. There Electron's fs.stat makes up a fresh inode per call and fs.open extracts a copy,
 * so the descriptor check that guards captures would refuse every file, while fs.readFile is
 * patched to read archived files in place. Pure: no electron import.
 */
export const rendererTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

export type RendererFile =
  { ok: true; bytes: Buffer; type: string } | { ok: false; status: 400 | 404; reason: string };

const app = new URL(appOrigin);

/** The path inside dist/renderer that a URL asks for: `/` and extension-less routes are the page itself. */
export function rendererPathOf(
  url: string,
): { ok: true; relative: string } | { ok: false; status: 400 | 404; reason: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, status: 400, reason: 'Not a URL.' };
  }
  if (parsed.protocol !== app.protocol || parsed.host !== app.host || parsed.username || parsed.password) {
    return { ok: false, status: 404, reason: 'Not part of the app.' };
  }
  // The raw pathname keeps its percent-escapes; the guard refuses encoded traversal as well.
  const raw = parsed.pathname;
  let relative: string;
  try {
    relative = decodeURIComponent(raw).replace(/^\/+/, '');
  } catch {
    return { ok: false, status: 400, reason: 'Badly encoded path.' };
  }
  // The bundle never needs encoded dots, slashes, backslashes or NULs in its file names.
  if (/%2e|%2f|%5c|%00/i.test(raw))
    return { ok: false, status: 400, reason: 'Encoded dots or separators are not served.' };
  if (relative === '' || path.posix.extname(relative) === '') relative = 'index.html';
  return { ok: true, relative };
}

export async function readRendererFile(
  root: string,
  url: string,
  maxBytes = 64 * 1024 * 1024,
): Promise<RendererFile> {
  const where = rendererPathOf(url);
  if (!where.ok) return where;
  const found = await resolveAllowedFile(where.relative, {
    roots: [root],
    base: root,
    extensions: Object.keys(rendererTypes),
  });
  if (!found.ok) return { ok: false, status: 404, reason: found.reason };
  if (found.size > maxBytes) return { ok: false, status: 404, reason: 'The file is too large to serve.' };
  const bytes = await readFile(found.path).catch(() => null);
  if (!bytes) return { ok: false, status: 404, reason: 'The file could not be read.' };
  const type = rendererTypes[path.extname(found.path).toLowerCase()] ?? 'application/octet-stream';
  return { ok: true, bytes, type };
}
