import { constants } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isCaptureFileName } from '../capture/formats.js';

export interface ImportOutcome {
  written: string[];
  refused: { name: string; reason: string }[];
}

/** A name that stays inside the inbox and does not overwrite: "cell.tif", then "cell (2).tif". */
async function place(inbox: string, name: string, write: (target: string) => Promise<void>): Promise<string> {
  const base = path.basename(name);
  const ext = path.extname(base);
  const stem = base.slice(0, base.length - ext.length);
  for (let n = 1; ; n++) {
    const target = path.join(inbox, n === 1 ? base : `${stem} (${n})${ext}`);
    try {
      await write(target);
      return target;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

function refusal(name: string): string | null {
  if (name !== path.basename(name) || name.includes('\\'))
    return 'A file name may not contain folder separators.';
  if (!isCaptureFileName(name)) return 'Only TIFF, PNG, JPEG and WebP captures can be added.';
  return null;
}

/** Captures dropped onto the window, by their bytes (browser) or their paths (desktop). */
export async function importIntoInbox(
  inbox: string,
  files: { name: string; write: (target: string) => Promise<void> }[],
): Promise<ImportOutcome> {
  await mkdir(inbox, { recursive: true });
  const outcome: ImportOutcome = { written: [], refused: [] };
  for (const file of files) {
    const reason = refusal(file.name);
    if (reason) {
      outcome.refused.push({ name: file.name, reason });
      continue;
    }
    try {
      outcome.written.push(await place(inbox, file.name, file.write));
    } catch (error) {
      outcome.refused.push({
        name: file.name,
        reason: `It could not be written into the inbox (${(error as Error).message}).`,
      });
    }
  }
  return outcome;
}

export const fromBytes = (name: string, dataBase64: string) => ({
  name,
  write: (target: string) => writeFile(target, Buffer.from(dataBase64, 'base64'), { flag: 'wx' }),
});

export const fromPath = (source: string) => ({
  name: path.basename(source),
  write: (target: string) => copyFile(source, target, constants.COPYFILE_EXCL),
});
