import path from 'node:path';
import type { WatchedFolder } from '../store/folders.js';
import { countCaptures, isWithin } from './scan.js';

/** What a notice offers to do: here, watch a folder's subfolders too. */
export interface NoticeAction {
  kind: 'make-recursive';
  folderId: number;
}

export interface UnwatchedNotice {
  message: string;
  action: NoticeAction;
}

/** "day2", "day2 and day3", "day2, day3, run-4 and 5 other subfolders". */
export function subfolderNames(paths: readonly string[], named = 3): string {
  const names = paths.map((place) => path.basename(place));
  if (names.length <= named) return names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
  const others = names.length - named;
  return `${names.slice(0, named).join(', ')} and ${others} other subfolder${others === 1 ? '' : 's'}`;
}

/**
 * Captures saved into a subfolder of a folder watched without its subfolders are never classified:
 * the person is told once per subfolder (while it exists), in one notice per check however many
 * there are, and offered to watch the subfolders too.
 */
export class UnwatchedSubfolders {
  private readonly told = new Set<string>();

  /** The notice due after a full listing of `folder` found these subfolders it does not watch, or null. */
  async check(folder: WatchedFolder, subfolders: readonly string[]): Promise<UnwatchedNotice | null> {
    const present = new Set(subfolders);
    // A subfolder removed and made again is news again.
    for (const place of this.told) if (isWithin(folder.path, place) && !present.has(place)) this.told.delete(place);
    const fresh: string[] = [];
    let files = 0;
    for (const sub of subfolders) {
      if (this.told.has(sub)) continue;
      const found = await countCaptures(sub);
      // An empty subfolder is looked at again at the next listing: the microscope may fill it.
      if (found === 0) continue;
      this.told.add(sub);
      fresh.push(sub);
      files += found;
    }
    if (fresh.length === 0) return null;
    return {
      message: `${files === 1 ? '1 file' : `${files} files`} arrived in ${subfolderNames(fresh.sort())}, which MetaScope does not watch: make ${folder.path} recursive, so its subfolders are watched too?`,
      action: { kind: 'make-recursive', folderId: folder.id },
    };
  }

  forgetUnder(folderPath: string): void {
    for (const place of this.told) if (isWithin(folderPath, place)) this.told.delete(place);
  }
}
