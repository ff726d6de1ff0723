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

/**
 * Captures saved into a subfolder of a folder watched without its subfolders are never classified:
 * the person is told once per subfolder (while it exists), and offered to watch the subfolders too.
 */
export class UnwatchedSubfolders {
  private readonly told = new Set<string>();

  /** The notices due after a full listing of `folder` found these subfolders it does not watch. */
  async check(folder: WatchedFolder, subfolders: readonly string[]): Promise<UnwatchedNotice[]> {
    const present = new Set(subfolders);
    // A subfolder removed and made again is news again.
    for (const place of this.told) if (isWithin(folder.path, place) && !present.has(place)) this.told.delete(place);
    const notices: UnwatchedNotice[] = [];
    for (const sub of subfolders) {
      if (this.told.has(sub)) continue;
      const files = await countCaptures(sub);
      // An empty subfolder is looked at again at the next listing: the microscope may fill it.
      if (files === 0) continue;
      this.told.add(sub);
      notices.push({
        message: `${files === 1 ? '1 file' : `${files} files`} arrived in ${path.basename(sub)}, which MetaScope does not watch: make ${folder.path} recursive, so its subfolders are watched too?`,
        action: { kind: 'make-recursive', folderId: folder.id },
      });
    }
    return notices;
  }

  forgetUnder(folderPath: string): void {
    for (const place of this.told) if (isWithin(folderPath, place)) this.told.delete(place);
  }
}
