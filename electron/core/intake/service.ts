import { statSync } from 'node:fs';
import path from 'node:path';
import type { Analysis } from '../cells/analysis.js';
import type { PipelineProgress } from '../pipeline/pipeline.js';
import type { FolderAnalysis, WatchedFolder } from '../store/folders.js';
import type { Store } from '../store/store.js';
import { decodeSlots } from '../threads.js';
import { Feed } from './feed.js';
import { PassScheduler } from './passes.js';
import { Reconciler } from './reconciler.js';
import { RecentReads } from './recent-reads.js';
import { folderProblem } from './scan.js';
import type { NoticeAction } from './unwatched.js';
import type { CaptureSink, SinkHooks } from './sink.js';
import { FolderWatcher } from './watcher.js';

export type { NoticeAction } from './unwatched.js';

export interface IntakeOptions {
  store: Store;
  /** Classifies the captures here, unless `sink` sends them elsewhere. */
  analysis?: Analysis;
  /** Where identified captures go instead of this computer's model (e.g. a facility's queue). */
  sink?: (hooks: SinkHooks) => CaptureSink;
  appVersion: string;
  /** How long a file must keep its size and mtime before it is read (default 2 s). */
  settleMs?: number;
  /** How often every folder is listed again, whatever the watcher said (default 30 s). */
  rescanMs?: number;
  batchSize?: number;
  decodeConcurrency?: number;
  /** While results cannot be saved (a full disk), how often saving is tried again (default 20 s). */
  saveRetryMs?: number;
  /** Files larger than this are identified without being read whole (default 64 MiB). */
  wholeReadBytes?: number;
  /** Reads of a file that will not decode before it is failed (default 4). */
  maxAttempts?: number;
  maxPixels?: number;
}

export interface IntakeListener {
  captureChanged?(sha256: string): void;
  progress?(p: PipelineProgress): void;
  /** A folder was added, changed, or checked (its last check time moved). */
  foldersChanged?(): void;
  notice?(level: 'info' | 'warning' | 'error', message: string, action?: NoticeAction): void;
}

const recentReadsBytes = 128 * 1024 * 1024;

/**
 * When the next full rescan runs. It is the safety net for events a file system never sends (network
 * shares), so it runs every `rescanMs`, but never takes more than about 1% of the time, however
 * many captures the folders have piled up.
 */
export function rescanDelay(rescanMs: number, lastRescanMs: number): number {
  return Math.max(rescanMs, lastRescanMs * 100);
}

/**
 * Watched folders in, stored results out. Every state lives in the store, so a restart resumes
 * where the last run stopped: nothing finished is redone, nothing unfinished is dropped.
 */
export class Intake {
  private readonly store: Store;
  private readonly reconciler: Reconciler;
  private readonly passes: PassScheduler;
  private readonly watcher: FolderWatcher;
  /** Where queued captures go: `feed` where they are classified here. */
  private readonly sink: CaptureSink;
  private readonly feed: Feed | null;
  private readonly rescanMs: number;
  private rescanTimer: NodeJS.Timeout | null = null;
  /** Folders whose checks fail: said once, and again when a check works. */
  private readonly failingChecks = new Set<number>();
  private stopped = false;
  /** Files failed before reaching the model (not images, too large), counted with the model's failures. */
  private failedAtIntake = 0;

  constructor(
    options: IntakeOptions,
    private readonly listener: IntakeListener = {},
  ) {
    this.store = options.store;
    this.rescanMs = options.rescanMs ?? 30_000;
    const decodeConcurrency = options.decodeConcurrency ?? decodeSlots();
    // A burst of new captures waits here between being identified and being classified.
    const recentReads = new RecentReads(recentReadsBytes);
    const notice = (level: 'info' | 'warning' | 'error', message: string, action?: NoticeAction) =>
      listener.notice?.(level, message, action);
    const hooks: SinkHooks = {
      onCapture: (sha256) => listener.captureChanged?.(sha256),
      onProgress: () => listener.progress?.(this.progress()),
      notice,
    };
    if (options.sink) {
      this.feed = null;
      this.sink = options.sink(hooks);
    } else if (options.analysis) {
      this.feed = new Feed(options.analysis, {
        ...hooks,
        store: options.store,
        appVersion: options.appVersion,
        batchSize: options.batchSize ?? 8,
        decodeConcurrency,
        recentReads,
        maxPixels: options.maxPixels,
        saveRetryMs: options.saveRetryMs ?? 20_000,
      });
      this.sink = this.feed;
    } else {
      throw new Error('An intake needs an analysis to classify with, or a sink to send captures to.');
    }
    this.reconciler = new Reconciler(
      {
        store: options.store,
        settleMs: options.settleMs ?? 2000,
        maxAttempts: options.maxAttempts ?? 4,
        readConcurrency: decodeConcurrency,
        recentReads,
        maxPixels: options.maxPixels,
        wholeReadBytes: options.wholeReadBytes,
      },
      {
        captureChanged: (sha256) => listener.captureChanged?.(sha256),
        queued: () => this.sink.fill(),
        availabilityChanged: (folder, reason) => {
          // After an unplug the old watch handle is dead: a returning folder gets a fresh one.
          if (reason === null && !this.stopped) this.watcher.watch(folder);
          listener.foldersChanged?.();
        },
        notice,
        failed: () => {
          this.failedAtIntake++;
          listener.progress?.(this.progress());
          // A sink may pass on what failed here too (a facility outbox records it).
          this.sink.fill();
        },
      },
    );
    this.passes = new PassScheduler(async (folderId, changed, stopping) => {
      try {
        const wakeAt = await this.reconciler.reconcile(folderId, stopping, changed);
        // "Last checked" on Live moves with every pass.
        listener.foldersChanged?.();
        if (this.failingChecks.delete(folderId)) this.checksWorkAgain(folderId);
        return wakeAt;
      } catch (error) {
        // A folder removed during its pass leaves nothing to report. A cause that lasts (a full
        // disk) fails every check, at every file event: it is said once.
        const folder = this.store.folders.get(folderId);
        if (folder && !this.failingChecks.has(folderId)) {
          this.failingChecks.add(folderId);
          notice(
            'error',
            `Checking the watched folder ${folder.path} failed: ${(error as Error).message} MetaScope tries again at the next rescan and says when it works.`,
          );
        }
        return null;
      }
    });
    this.watcher = new FolderWatcher((folderId, changed) => void this.passes.run(folderId, changed));
  }

  /** Queues again what a crash cut short, watches the enabled folders, catches up with them, starts classifying. */
  async start(): Promise<void> {
    const requeued = this.store.captures.requeueProcessing();
    if (requeued > 0) {
      const what = requeued === 1 ? 'One capture interrupted last time is' : `${requeued} captures interrupted last time are`;
      this.listener.notice?.('info', `${what} queued again.`);
    }
    const folders = this.enabledFolders();
    folders.forEach((folder) => this.watcher.watch(folder));
    await Promise.all(folders.map((folder) => this.passes.run(folder.id)));
    if (this.stopped) return;
    this.scheduleRescan(0);
    this.sink.start();
  }

  /** Watches a folder from now on (it is remembered in the store); refuses a path that is not a folder. */
  addFolder(folderPath: string, recursive: boolean): WatchedFolder {
    const resolved = path.resolve(folderPath);
    let isFolder: boolean;
    try {
      isFolder = statSync(resolved).isDirectory();
    } catch (error) {
      throw new Error(`${resolved} cannot be watched: ${folderProblem(error)}`);
    }
    if (!isFolder) throw new Error(`${resolved} is a file, not a folder: choose the folder the captures are saved into.`);
    const added = this.store.folders.add(resolved, { recursive });
    // Adding a folder already in the list applies the new setting and enables it.
    return this.updateFolder(added.id, { recursive, enabled: true });
  }

  updateFolder(id: number, changes: { recursive?: boolean; enabled?: boolean; analysis?: FolderAnalysis }): WatchedFolder {
    const folder = this.store.folders.update(id, changes);
    if (!folder) throw new Error(`There is no watched folder with id ${id}.`);
    if (folder.enabled && !this.stopped) {
      this.watcher.watch(folder);
      void this.passes.run(folder.id);
    } else {
      void this.watcher.unwatch(id);
    }
    this.listener.foldersChanged?.();
    return folder;
  }

  /** Stops watching; what was found there keeps its captures and results. */
  removeFolder(id: number): boolean {
    const folder = this.store.folders.get(id);
    if (!folder) return false;
    this.failingChecks.delete(id);
    void this.watcher.unwatch(id);
    this.passes.drop(id);
    // Files still settling there will never settle now.
    this.store.files.forget(this.store.files.inFolder(id).filter((f) => f.sha256 === null).map((f) => f.path));
    this.store.folders.remove(id);
    this.reconciler.forgetUnder(folder.path);
    this.listener.foldersChanged?.();
    return true;
  }

  /**
   * Captures not yet started use this model from now on; the previous one finishes what it has
   * started. Resolves once it has: then the previous model can be closed.
   */
  setAnalysis(analysis: Analysis): Promise<void> {
    // A sink that sends captures on runs no model here.
    return this.feed?.setAnalysis(analysis) ?? Promise.resolve();
  }

  /** Captures claimed from now on run in batches of up to this many. */
  setBatchSize(batchSize: number): void {
    this.feed?.setBatchSize(batchSize);
  }

  pause(): void {
    this.sink.pause();
  }

  resume(): void {
    this.sink.resume();
  }

  progress(): PipelineProgress {
    const sent = this.sink.progress();
    return { ...sent, failed: sent.failed + this.failedAtIntake };
  }

  /** The files the failed checks were about were not looked at: a full pass catches up with them. */
  private checksWorkAgain(folderId: number): void {
    const folder = this.store.folders.get(folderId);
    if (!folder || this.stopped) return;
    this.listener.notice?.('info', `Checking the watched folder ${folder.path} works again; captures that arrived meanwhile are picked up now.`);
    void this.passes.run(folderId);
  }

  private scheduleRescan(lastRescanMs: number): void {
    this.rescanTimer = setTimeout(async () => {
      const started = Date.now();
      await this.rescan();
      if (!this.stopped) this.scheduleRescan(Date.now() - started);
    }, rescanDelay(this.rescanMs, lastRescanMs));
  }

  /** Reconciles every enabled folder now. */
  async rescan(): Promise<void> {
    await Promise.all(this.enabledFolders().map((folder) => this.passes.run(folder.id)));
  }

  /** Stops watching, finishes what is in flight (its results saved) and leaves the rest queued. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.rescanTimer) clearTimeout(this.rescanTimer);
    await this.passes.stop();
    await this.watcher.close();
    await this.sink.stop();
  }

  private enabledFolders(): WatchedFolder[] {
    return this.store.folders.list().filter((folder) => folder.enabled);
  }
}
