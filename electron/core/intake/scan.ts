import { constants, type Dirent } from 'node:fs';
import { access, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { isCaptureFileName } from '../capture/formats.js';

export interface FileStat {
  size: number;
  mtimeMs: number;
}

export interface FolderListing {
  /** Capture files by full path. */
  files: Map<string, FileStat>;
  /** Subfolders and files that exist but could not be read: what is known under them is kept. */
  unreadable: string[];
  /** Subfolders of a folder watched without its subfolders: captures saved there are not classified. */
  unwatched: string[];
}

export interface ScanOptions {
  recursive: boolean;
  /** Folders not to descend into: other watched folders, which are reconciled on their own. */
  skip: ReadonlySet<string>;
}

/** A folder that cannot be listed, with the reason in plain words. */
export class FolderUnavailable extends Error {
  override name = 'FolderUnavailable';
}

/** Why a folder cannot be read, for the folder list and the notice. */
export function folderProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'The folder is not there: its drive may be unplugged, its network share down, or it was moved or deleted.';
    case 'EACCES':
    case 'EPERM':
      return 'MetaScope is not allowed to read the folder (its permissions changed).';
    case 'ENOTDIR':
      return 'This path is not a folder.';
    default:
      return `The folder cannot be read (${code ?? (error as Error).message}): a drive or network problem.`;
  }
}

/**
 * Lists the capture files under `root` with their size and modification time: one readdir per
 * folder and one stat per capture, so a periodic rescan stays cheap.
 */
export async function scanFolder(root: string, options: ScanOptions): Promise<FolderListing> {
  const listing: FolderListing = { files: new Map(), unreadable: [], unwatched: [] };
  let entries: Dirent[];
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (error) {
    throw new FolderUnavailable(folderProblem(error));
  }
  await walk(root, entries, options, listing);
  return listing;
}

/** Throws FolderUnavailable when `root` is not a readable folder (a pass that lists nothing still checks). */
export async function checkFolder(root: string): Promise<void> {
  try {
    await access(root, constants.R_OK | constants.X_OK);
    if (!(await stat(root)).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
  } catch (error) {
    throw new FolderUnavailable(folderProblem(error));
  }
}

/**
 * Stats the given files the way a listing would see them: a file that is gone is simply absent,
 * one that cannot be read is kept as it was known. For passes that know which files changed.
 */
export async function statFiles(files: Iterable<string>): Promise<FolderListing> {
  const listing: FolderListing = { files: new Map(), unreadable: [], unwatched: [] };
  await Promise.all([...files].map((file) => statInto(file, listing)));
  return listing;
}

/** Whether a listing of `root` would include `file`: the same rules as the walk below. */
export function isListed(root: string, file: string, options: ScanOptions): boolean {
  if (!isWithin(root, file) || file === root || !isCaptureFileName(path.basename(file))) return false;
  const folders = path.relative(root, path.dirname(file));
  if (folders === '') return true;
  if (!options.recursive) return false;
  let folder = root;
  for (const name of folders.split(path.sep)) {
    folder = path.join(folder, name);
    if (name.startsWith('.') || options.skip.has(folder)) return false;
  }
  return true;
}

async function statInto(file: string, listing: FolderListing): Promise<void> {
  try {
    const info = await stat(file);
    if (info.isFile()) listing.files.set(file, { size: info.size, mtimeMs: info.mtimeMs });
  } catch (error) {
    // Gone between readdir and stat: simply not there. Anything else: keep what we knew.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') listing.unreadable.push(file);
  }
}

async function walk(folder: string, entries: Dirent[], options: ScanOptions, listing: FolderListing): Promise<void> {
  const subfolders: string[] = [];
  const candidates: string[] = [];
  for (const entry of entries) {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) {
      if (!entry.name.startsWith('.') && !options.skip.has(full)) (options.recursive ? subfolders : listing.unwatched).push(full);
    } else if ((entry.isFile() || entry.isSymbolicLink()) && isCaptureFileName(entry.name)) {
      candidates.push(full);
    }
  }
  await Promise.all(candidates.map((file) => statInto(file, listing)));
  for (const sub of subfolders) {
    let children: Dirent[];
    try {
      children = await readdir(sub, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') listing.unreadable.push(sub);
      continue;
    }
    await walk(sub, children, options, listing);
  }
}

/** How many capture files lie directly in `folder` (none where it cannot be read). */
export async function countCaptures(folder: string): Promise<number> {
  const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => !entry.isDirectory() && isCaptureFileName(entry.name)).length;
}

/** Whether `file` is `place` or lies under it. */
export function isWithin(place: string, file: string): boolean {
  return file === place || file.startsWith(place.endsWith(path.sep) ? place : place + path.sep);
}
