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

/** Events that name a file; a folder event, an error or the initial look ask for the whole folder. */
const fileEvents = new Set(['add', 'change', 'unlink']);

interface Gathering {
  timer: NodeJS.Timeout;
  /** The files named so far; undefined once the whole folder is to be looked at. */
  changed: Set<string> | undefined;
}

/**
 * File-system events, used only as hints: each folder's events are gathered for `delayMs` and
 * then wake its reconciler once, naming the files they were about (undefined: look at everything).
 * Missed or odd events do no harm; the periodic rescan lists every folder and catches up.
 */
export class FolderWatcher {
  private readonly watchers = new Map<number, FSWatcher>();
  private readonly pending = new Map<number, Gathering>();

  constructor(
    private readonly onHint: (folderId: number, changed: ReadonlySet<string> | undefined) => void,
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
    watcher.on('all', (event, file) => this.hint(folder.id, fileEvents.has(event) ? path.resolve(file) : undefined));
    // Files that arrived while the watch was being set up raised no event: look once it is ready.
    watcher.on('ready', () => this.hint(folder.id, undefined));
    // A vanished or unreadable folder: the reconciler finds out why and says so.
    watcher.on('error', () => this.hint(folder.id, undefined));
    this.watchers.set(folder.id, watcher);
  }

  async unwatch(folderId: number): Promise<void> {
    clearTimeout(this.pending.get(folderId)?.timer);
    this.pending.delete(folderId);
    const watcher = this.watchers.get(folderId);
    this.watchers.delete(folderId);
    await watcher?.close();
  }

  async close(): Promise<void> {
    await Promise.all([...this.watchers.keys()].map((id) => this.unwatch(id)));
  }

  private hint(folderId: number, file: string | undefined): void {
    const gathering = this.pending.get(folderId);
    if (gathering) {
      if (file === undefined) gathering.changed = undefined;
      else gathering.changed?.add(file);
      return;
    }
    const timer = setTimeout(() => {
      const { changed } = this.pending.get(folderId)!;
      this.pending.delete(folderId);
      this.onHint(folderId, changed);
    }, this.delayMs);
    this.pending.set(folderId, { timer, changed: file === undefined ? undefined : new Set([file]) });
  }
}
