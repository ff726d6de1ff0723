import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { listCaptures } from '../capture/listing.js';

/**
 * How a folder name is compared with a class name: case, spaces and punctuation do not count, so
 * `ht_1080/` holds `HT1080`. NFKD first, so an accented letter matches however the file system
 * stored it (macOS keeps names decomposed).
 */
export const nameKey = (name: string): string =>
  name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]/gu, '');

export interface FolderMatch {
  /** For each class (model order), the subfolders that hold it: usually one, none if it is missing. */
  folders: string[][];
  /** Subfolders whose names match no class. */
  unmatched: string[];
  /** Subfolders whose names match more than one class (classes the model names almost alike). */
  ambiguous: { folder: string; classes: string[] }[];
}

export function matchClassFolders(folders: readonly string[], classes: readonly string[]): FolderMatch {
  const match: FolderMatch = { folders: classes.map(() => []), unmatched: [], ambiguous: [] };
  for (const folder of folders) {
    const hits = classes.flatMap((name, c) => (nameKey(name) === nameKey(folder) ? [c] : []));
    if (hits.length === 0) match.unmatched.push(folder);
    else if (hits.length > 1) match.ambiguous.push({ folder, classes: hits.map((c) => classes[c]!) });
    else match.folders[hits[0]!]!.push(folder);
  }
  return match;
}

export interface LabelledCaptures extends FolderMatch {
  /** Each capture with the index of the class its folder names. */
  captures: { path: string; truth: number }[];
  /** Class folders that could not be listed, with a sentence. */
  problems: { path: string; truth: number; reason: string }[];
}

/**
 * Reads a folder laid out as one subfolder per class (captures anywhere below it). Throws the
 * file system's error when `root` cannot be listed.
 */
export async function listLabelledCaptures(
  root: string,
  classes: readonly string[],
): Promise<LabelledCaptures> {
  const entries = await readdir(root, { withFileTypes: true });
  const subfolders = entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort((a, b) => a.localeCompare(b));
  const match = matchClassFolders(subfolders, classes);
  const labelled: LabelledCaptures = { ...match, captures: [], problems: [] };
  for (const [truth, names] of match.folders.entries()) {
    const listing = await listCaptures(
      names.map((name) => path.join(root, name)),
      { recursive: true },
    );
    labelled.captures.push(...listing.files.map((file) => ({ path: file, truth })));
    labelled.problems.push(...listing.problems.map((p) => ({ ...p, truth })));
  }
  return labelled;
}
