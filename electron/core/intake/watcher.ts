import path from 'node:path';
import type { Stats } from 'node:fs';
import { watch, type FSWatcher } from 'chokidar';
import { isCaptureFileName, isTemporaryName } from '../capture/formats.js';
import type { WatchedFolder } from '../store/folders.js';

/** Whether chokidar should skip a path under `root`: hidden and temporary files, non-captures. */
export function ignoredPath(root: string, file: string, stats?: Stats): boolean {
  if (file === root) return false;
  const name = path.basename(file);
  if (isTemporaryName(name)) return true;
  return stats?.isFile() === true && !isCaptureFileName(name);
}

/**
 * File-system events, used only as hints: each folder's events are gathered for `delayMs` and
 * then wake its reconciler once. Missed or odd events do no harm; the periodic rescan catches up.
 */
export class FolderWatcher {
  private readonly watchers = new Map<number, FSWatcher>();
  private readonly pending = new Map<number, NodeJS.Timeout>();

  constructor(
    private readonly onHint: (folderId: number) => void,
    private readonly delayMs = 150,
  ) {}

  /** Starts (or restarts, e.g. after the folder came back) watching a folder. */
  watch(folder: WatchedFolder): void {
    void this.unwatch(folder.id);
    const watcher = watch(folder.path, {
      ignoreInitial: true,
      ignorePermissionErrors: true,
      depth: folder.recursive ? undefined : 0,
      ignored: (file, stats) => ignoredPath(folder.path, file, stats),
    });
    watcher.on('all', () => this.hint(folder.id));
    // Files that arrived while the watch was being set up raised no event: look once it is ready.
    watcher.on('ready', () => this.hint(folder.id));
    // A vanished or unreadable folder: the reconciler finds out why and says so.
    watcher.on('error', () => this.hint(folder.id));
    this.watchers.set(folder.id, watcher);
  }

  async unwatch(folderId: number): Promise<void> {
    clearTimeout(this.pending.get(folderId));
    this.pending.delete(folderId);
    const watcher = this.watchers.get(folderId);
    this.watchers.delete(folderId);
    await watcher?.close();
  }

  async close(): Promise<void> {
    await Promise.all([...this.watchers.keys()].map((id) => this.unwatch(id)));
  }

  private hint(folderId: number): void {
    if (this.pending.has(folderId)) return;
    this.pending.set(
      folderId,
      setTimeout(() => {
        this.pending.delete(folderId);
        this.onHint(folderId);
      }, this.delayMs),
    );
  }
}
