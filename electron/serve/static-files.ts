import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';

const mimeTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

export interface StaticFile {
  file: string;
  size: number;
  mime: string;
  open(): NodeJS.ReadableStream;
}

/**
 * The file under `root` that a URL path names, or null: never a folder (no listings), never
 * anything outside root (`..`, encoded slashes, symbolic links pointing out).
 */
export async function findStaticFile(root: string, urlPath: string): Promise<StaticFile | null> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath === '/' ? '/index.html' : urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const base = await realpath(root);
  const inside = (candidate: string) => candidate.startsWith(base + path.sep);
  const target = path.resolve(base, `.${decoded}`);
  if (!inside(target)) return null;
  try {
    const real = await realpath(target);
    const info = await stat(real);
    if (!inside(real) || !info.isFile()) return null;
    return {
      file: real,
      size: info.size,
      mime: mimeTypes[path.extname(real).toLowerCase()] ?? 'application/octet-stream',
      open: () => createReadStream(real),
    };
  } catch {
    return null;
  }
}
