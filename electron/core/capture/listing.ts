import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { isCaptureFileName } from './formats.js';

export interface CaptureListing {
  files: string[];
  /** Named paths that do not exist or cannot be listed, each with a sentence. */
  problems: { path: string; reason: string }[];
}

/**
 * Expands files and folders into capture files. A file named explicitly is always kept, so that a
 * wrong format gets its own explanation; inside folders only capture extensions are taken.
 */
export async function listCaptures(paths: string[], options: { recursive?: boolean } = {}): Promise<CaptureListing> {
  const files: string[] = [];
  const problems: CaptureListing['problems'] = [];
  const walk = async (folder: string, top: boolean): Promise<void> => {
    let entries;
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch (error) {
      if (top) problems.push({ path: folder, reason: `The folder cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}).` });
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) {
        if (options.recursive && !entry.name.startsWith('.')) await walk(full, false);
      } else if (entry.isFile() && isCaptureFileName(entry.name)) {
        files.push(full);
      }
    }
  };
  for (const given of paths) {
    const info = await stat(given).catch(() => null);
    if (!info) problems.push({ path: given, reason: 'No such file or folder.' });
    else if (info.isDirectory()) await walk(given, true);
    // Reading a named pipe or a device waits for a writer that may never come.
    else if (!info.isFile())
      problems.push({ path: given, reason: 'This is not a file but a named pipe, device or socket, so it holds no capture.' });
    else files.push(given);
  }
  return { files, problems };
}
