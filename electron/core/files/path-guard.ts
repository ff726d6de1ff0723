import { constants } from 'node:fs';
import { open, realpath, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

/**
 * Resolves a requested path to a regular file inside one of the allowed roots, or says why not.
 * Pure Node (no electron), so it is tested with real files, symlinks and device files.
 *
 * Refused: empty or over-long paths, NUL bytes, `..` segments (also percent-encoded, even twice),
 * Windows device paths (`\\?\`, `\\.\`), device names and streams, relative paths without a base,
 * anything whose real path (symlinks followed) is outside every root, extensions not in the list,
 * and anything that is not a regular file (folders, FIFOs, sockets, /dev/zero and other devices).
 * A network share (`\\server\share\…`) is a folder like any other: served inside a root only.
 *
 * One policy for every front door: the desktop app's engine process, browser mode and the app's
 * own renderer files all come through here.
 */
export interface PathGuardOptions {
  /** Folders whose files may be served. Each is itself resolved through its symlinks. */
  roots: readonly string[];
  /** Allowed extensions, lower case with the dot: `.png`. */
  extensions: Iterable<string>;
  /** Where a relative request is resolved from; it must itself be inside a root. */
  base?: string;
}

export type GuardResult = { ok: true; path: string; size: number } | { ok: false; reason: string };

const maxPathLength = 4096;
const windowsDevice = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)$/i;

/** The reason given when the named file is not there (callers may treat a missing file apart). */
export const missingFileReason = 'The file does not exist.';

const refuse = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });

/** Every spelling of the request a lower layer might decode: as given, then percent-decoded up to three times. */
function decodedVariants(candidate: string): string[] {
  const variants = [candidate];
  let current = candidate;
  for (let i = 0; i < 3; i++) {
    let next: string;
    try {
      next = decodeURIComponent(current);
    } catch {
      break;
    }
    if (next === current) break;
    variants.push(next);
    current = next;
  }
  return variants;
}

/** Checks on the text of the request alone, before the file system is asked. */
export function lexicalProblem(
  candidate: unknown,
  platform: NodeJS.Platform = process.platform,
): string | null {
  if (typeof candidate !== 'string' || candidate.length === 0) return 'No file was named.';
  if (candidate.length > maxPathLength) return 'The path is too long.';
  for (const variant of decodedVariants(candidate)) {
    if (variant.includes('\0')) return 'The path contains a NUL character.';
    const segments = variant.split(/[\\/]+/);
    if (segments.some((s) => s === '..')) return 'The path climbs out of its folder (`..`).';
    if (/^[\\/]{2}[?.]([\\/]|$)/.test(variant))
      return 'Windows device paths (\\\\?\\, \\\\.\\) are not served.';
    if (platform === 'win32') {
      const rest = /^[a-z]:/i.test(variant) ? variant.slice(2) : variant;
      if (rest.includes(':')) return 'Alternate data streams are not served.';
      if (segments.some((s) => windowsDevice.test((s.split('.')[0] ?? '').trimEnd())))
        return 'Windows device names are not served.';
    }
  }
  return null;
}

function caseFold(p: string, platform: NodeJS.Platform): string {
  return platform === 'win32' || platform === 'darwin' ? p.toLowerCase() : p;
}

/** True when `child` is `root` itself or lies below it (paths already absolute and normalised). */
export function isInside(root: string, child: string, platform: NodeJS.Platform = process.platform): boolean {
  const pathApi = platform === 'win32' ? path.win32 : path.posix;
  const relative = pathApi.relative(caseFold(root, platform), caseFold(child, platform));
  if (relative === '') return true;
  if (pathApi.isAbsolute(relative)) return false;
  return relative !== '..' && !relative.startsWith(`..${pathApi.sep}`);
}

async function realRoots(roots: readonly string[]): Promise<string[]> {
  const resolved: string[] = [];
  for (const root of roots) {
    if (typeof root !== 'string' || !path.isAbsolute(root)) continue;
    try {
      resolved.push(await realpath(root));
    } catch {
      // A root that does not exist (an unplugged drive, say) simply serves nothing.
    }
  }
  return resolved;
}

function normaliseExtensions(extensions: Iterable<string>): Set<string> {
  return new Set([...extensions].map((e) => e.toLowerCase()));
}

const pathApiOf = (platform: NodeJS.Platform) => (platform === 'win32' ? path.win32 : path.posix);

/**
 * Where the request points, judged from its text alone (no file system): inside a root and of an
 * allowed type, or why not. `platform` says whose path rules apply, so Windows ones are tested anywhere.
 */
export function lexicalTarget(
  candidate: unknown,
  options: PathGuardOptions,
  platform: NodeJS.Platform = process.platform,
): { ok: true; path: string } | { ok: false; reason: string } {
  const problem = lexicalProblem(candidate, platform);
  if (problem) return refuse(problem);
  const requested = candidate as string;
  const pathApi = pathApiOf(platform);
  let absolute: string;
  if (pathApi.isAbsolute(requested)) {
    absolute = pathApi.resolve(requested);
  } else {
    if (!options.base || !pathApi.isAbsolute(options.base))
      return refuse('A relative path needs a base folder.');
    absolute = pathApi.resolve(options.base, requested);
  }
  const roots = options.roots.filter((r) => typeof r === 'string' && pathApi.isAbsolute(r));
  if (!roots.some((root) => isInside(pathApi.resolve(root), absolute, platform)))
    return refuse('The file is outside the folders MetaScope may show.');
  const extension = pathApi.extname(absolute);
  if (!normaliseExtensions(options.extensions).has(extension.toLowerCase()))
    return refuse(`Files of type "${extension || 'none'}" are not served.`);
  return { ok: true, path: absolute };
}

/** Where the request points, or why it cannot be served; follows symlinks and stats the target. */
export async function resolveAllowedFile(
  candidate: unknown,
  options: PathGuardOptions,
): Promise<GuardResult> {
  const roots = await realRoots(options.roots);
  if (roots.length === 0) return refuse('No folder is open to serve files from.');
  // The lexical position must already be inside a root (as given, or after the roots' own symlinks).
  const target = lexicalTarget(candidate, { ...options, roots: [...options.roots, ...roots] });
  if (!target.ok) return target;
  const absolute = target.path;
  const extensions = normaliseExtensions(options.extensions);

  let real: string;
  try {
    real = await realpath(absolute);
  } catch {
    return refuse(missingFileReason);
  }
  if (!roots.some((root) => isInside(root, real)))
    return refuse('The file is a link to somewhere outside the folders MetaScope may show.');
  if (!extensions.has(path.extname(real).toLowerCase()))
    return refuse(
      `The link points at a file of type "${path.extname(real) || 'none'}", which is not served.`,
    );
  const info = await stat(real).catch(() => null);
  if (!info) return refuse(missingFileReason);
  if (!info.isFile())
    return refuse('Only regular files are served (not folders, devices, pipes or sockets).');
  return { ok: true, path: real, size: info.size };
}

export type ReadResult = { ok: true; path: string; bytes: Buffer } | { ok: false; reason: string };

/**
 * Resolves, then opens the file without following a last-moment symlink and checks that what was
 * opened is the regular file that was checked (same device and inode), so a swap between the check
 * and the read is refused too.
 */
export async function readAllowedFile(
  candidate: unknown,
  options: PathGuardOptions & { maxBytes: number },
): Promise<ReadResult> {
  const resolved = await resolveAllowedFile(candidate, options);
  if (!resolved.ok) return resolved;
  if (resolved.size > options.maxBytes) return refuse('The file is too large to serve.');
  const noFollow = process.platform === 'win32' ? 0 : constants.O_NOFOLLOW;
  let handle: FileHandle | null = null;
  try {
    const before = await stat(resolved.path);
    handle = await open(resolved.path, constants.O_RDONLY | noFollow);
    const opened = await handle.stat();
    if (!opened.isFile() || opened.ino !== before.ino || opened.dev !== before.dev)
      return refuse('The file changed while it was being opened.');
    if (opened.size > options.maxBytes) return refuse('The file is too large to serve.');
    const bytes = await handle.readFile();
    return { ok: true, path: resolved.path, bytes };
  } catch {
    return refuse('The file could not be read.');
  } finally {
    await handle?.close();
  }
}
