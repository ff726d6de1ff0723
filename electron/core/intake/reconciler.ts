import type { CaptureInfo } from '../store/captures.js';
import type { FileRecord } from '../store/files.js';
import type { WatchedFolder } from '../store/folders.js';
import type { Store } from '../store/store.js';
import { copyNotice } from './copies.js';
import { checkReadiness, type ReadinessLimits } from './readiness.js';
import type { CaptureRead, RecentReads } from './recent-reads.js';
import {
  checkFolder,
  FolderUnavailable,
  isListed,
  isWithin,
  scanFolder,
  statFiles,
  type FolderListing,
  type ScanOptions,
} from './scan.js';
import { UnwatchedSubfolders, type NoticeAction } from './unwatched.js';

export interface ReconcilerOptions extends ReadinessLimits {
  store: Store;
  /** How long a file's size and mtime must hold still before it is read. */
  settleMs: number;
  /** Reads of a file that does not decode before it is failed (or, if it cannot be read at all, reported). */
  maxAttempts: number;
  /** Settled files read, hashed and decoded at once. */
  readConcurrency: number;
  /** Where a newly queued capture's content waits for the pipeline. */
  recentReads: RecentReads;
}

export interface ReconcilerEvents {
  /** A capture was created, failed, retried or gained a path. */
  captureChanged(sha256: string): void;
  /** There is new work in the store's queue. */
  queued(): void;
  /** The folder could not be listed (`reason`), or can again (null). */
  availabilityChanged(folder: WatchedFolder, reason: string | null): void;
  notice(level: 'info' | 'warning' | 'error', message: string, action?: NoticeAction): void;
  /** A file was failed here, before reaching the model. */
  failed(): void;
}

interface Attempt {
  size: number;
  mtimeMs: number;
  count: number;
  nextAt: number;
}

// Retries back off from the settle interval up to this, so a file locked for hours costs little.
const maxBackoffMs = 60_000;
const failedPageSize = 500;

const earliest = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.min(a, b));

/**
 * Compares a watched folder's listing with what the store knows and moves each file along:
 * new or changed → settling ('discovered'), settled and decodable → hashed and attached to its
 * capture, gone → forgotten. Watcher events only say when to run; this decides.
 */
export class Reconciler {
  // Per path, in memory: a restart simply gives a failing file its retries again.
  private readonly attempts = new Map<string, Attempt>();
  /** Subfolders of watched folders that could not be read at the last full listing: said once. */
  private readonly unreadableFolders = new Set<string>();
  private readonly unwatched = new UnwatchedSubfolders();

  constructor(
    private readonly options: ReconcilerOptions,
    private readonly events: ReconcilerEvents,
  ) {}

  /**
   * One pass over a folder. Returns when its next file comes due (settled or retry), or null.
   * With `changed` (the files the watcher named), the pass looks only at those and at the files
   * still settling, so its cost does not grow with the thousands of captures already identified;
   * without it, the whole folder is listed and compared.
   */
  async reconcile(
    folderId: number,
    shouldStop: () => boolean = () => false,
    changed?: ReadonlySet<string>,
  ): Promise<number | null> {
    const { store } = this.options;
    const folder = store.folders.get(folderId);
    if (!folder?.enabled) return null;
    let listing: FolderListing;
    let known: Map<string, FileRecord>;
    // A folder coming back is caught up on by a full listing.
    const full = changed === undefined || folder.state !== 'available';
    try {
      ({ listing, known } = full ? await this.listAll(folder) : await this.lookAt(folder, changed));
    } catch (error) {
      if (!(error instanceof FolderUnavailable)) throw error;
      this.setAvailability(folder, error.message);
      return null;
    }
    if (folder.state === 'unavailable') this.setAvailability(folder, null);
    if (full) {
      this.reportUnreadable(folder, listing.unreadable);
      await this.reportUnwatched(folder, listing.unwatched);
    }

    const now = Date.now();
    this.forgetVanished(known, listing);
    const due: FileRecord[] = [];
    let wakeAt: number | null = null;
    for (const [file, seen] of listing.files) {
      let record = known.get(file);
      // Unchanged files cost no write: an idle rescan only reads.
      if (!record || record.size !== seen.size || record.mtimeMs !== seen.mtimeMs) {
        record = store.files.recordSeen({ path: file, folderId: folder.id, ...seen });
      }
      if (record.sha256) continue;
      const at = this.dueAt(record);
      if (at <= now) due.push(record);
      else wakeAt = earliest(wakeAt, at);
    }
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < due.length && !shouldStop()) {
        const again = await this.settle(due[next++]!);
        wakeAt = earliest(wakeAt, again);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.readConcurrency, due.length) }, worker));
    store.folders.markScanned(folder.id);
    return wakeAt;
  }

  /** The whole folder on disk, and every file the store knows in it. */
  private async listAll(folder: WatchedFolder): Promise<{ listing: FolderListing; known: Map<string, FileRecord> }> {
    const listing = await scanFolder(folder.path, this.scopeOf(folder));
    return { listing, known: new Map(this.options.store.files.inFolder(folder.id).map((f) => [f.path, f])) };
  }

  /** Only the named files that a listing would include, and the files still settling. */
  private async lookAt(
    folder: WatchedFolder,
    changed: ReadonlySet<string>,
  ): Promise<{ listing: FolderListing; known: Map<string, FileRecord> }> {
    const { files } = this.options.store;
    await checkFolder(folder.path);
    const scope = this.scopeOf(folder);
    const known = new Map(files.settlingIn(folder.id).map((f) => [f.path, f]));
    const named = [...changed].filter((file) => isListed(folder.path, file, scope));
    for (const file of named) {
      const record = known.has(file) ? undefined : files.get(file);
      if (record) known.set(file, record);
    }
    return { listing: await statFiles(new Set([...named, ...known.keys()])), known };
  }

  private scopeOf(folder: WatchedFolder): ScanOptions {
    return { recursive: folder.recursive, skip: this.nestedIn(folder) };
  }

  /** Drops retry and unreadable-subfolder bookkeeping under a folder no longer watched. */
  forgetUnder(folderPath: string): void {
    for (const file of this.attempts.keys()) if (isWithin(folderPath, file)) this.attempts.delete(file);
    for (const place of this.unreadableFolders) if (isWithin(folderPath, place)) this.unreadableFolders.delete(place);
    this.unwatched.forgetUnder(folderPath);
  }

  private nestedIn(folder: WatchedFolder): Set<string> {
    return new Set(
      this.options.store.folders
        .list()
        .filter((f) => f.id !== folder.id && f.enabled && isWithin(folder.path, f.path))
        .map((f) => f.path),
    );
  }

  private forgetVanished(known: Map<string, FileRecord>, listing: FolderListing): void {
    const gone = [...known.keys()].filter(
      (file) => !listing.files.has(file) && !listing.unreadable.some((place) => isWithin(place, file)),
    );
    if (gone.length === 0) return;
    this.options.store.files.forget(gone);
    for (const file of gone) this.attempts.delete(file);
  }

  private dueAt(record: FileRecord): number {
    let attempt = this.attempts.get(record.path);
    if (attempt && (attempt.size !== record.size || attempt.mtimeMs !== record.mtimeMs)) {
      // Rewritten since the last try: new content on the way, so the count starts again.
      this.attempts.delete(record.path);
      attempt = undefined;
    }
    return Math.max(record.seenAt + this.options.settleMs, attempt?.nextAt ?? 0);
  }

  /** Reads a settled file and acts on what it is; returns when to look again, or null. */
  private async settle(record: FileRecord): Promise<number | null> {
    const { store, settleMs, maxAttempts } = this.options;
    const outcome = await checkReadiness(record.path, record, this.options);
    switch (outcome.kind) {
      case 'gone':
        store.files.forget([record.path]);
        this.attempts.delete(record.path);
        return null;
      case 'changed':
        return Date.now() + settleMs;
      case 'ready':
        this.attempts.delete(record.path);
        this.attach(record.path, outcome.sha256, outcome.info, outcome.read);
        return null;
      case 'invalid': {
        // A file may decode only once its writer has finished, so it gets several passes first.
        const attempt = this.bump(record);
        if (attempt.count < maxAttempts) return attempt.nextAt;
        this.fail(record.path, outcome);
        return null;
      }
      case 'refused':
        this.fail(record.path, outcome);
        return null;
      case 'unreadable': {
        // Locked or forbidden: never failed (there is no content to judge), only reported once.
        const attempt = this.bump(record);
        if (attempt.count === maxAttempts) {
          this.events.notice('warning', `${record.path} cannot be read yet: ${outcome.reason} MetaScope keeps trying.`);
        }
        return attempt.nextAt;
      }
    }
  }

  /** A file that will never be classified: its capture fails, once, with the reason. */
  private fail(file: string, outcome: { sha256: string; info: CaptureInfo; reason: string }): void {
    const { captures } = this.options.store;
    this.attempts.delete(file);
    // Known content (the same broken file under another name) only gains the path.
    if (captures.attachFile(file, outcome.sha256, outcome.info).created) {
      captures.markFailed(outcome.sha256, outcome.reason);
      this.events.failed();
    }
    this.events.captureChanged(outcome.sha256);
  }

  private attach(file: string, sha256: string, info: CaptureInfo, read: CaptureRead | undefined): void {
    const { store } = this.options;
    const { created } = store.captures.attachFile(file, sha256, info);
    // Content that failed (its file vanished, or the model broke) gets another try when it turns up again.
    if (created || store.captures.retry(sha256)) {
      if (read) this.options.recentReads.keep(sha256, read);
      this.events.queued();
    } else {
      const copy = copyNotice(store, file, sha256);
      if (copy) this.events.notice('info', copy);
    }
    this.events.captureChanged(sha256);
  }

  private bump(record: FileRecord): Attempt {
    const count = (this.attempts.get(record.path)?.count ?? 0) + 1;
    const delay = Math.min(this.options.settleMs * 2 ** (count - 1), maxBackoffMs);
    const attempt = { size: record.size, mtimeMs: record.mtimeMs, count, nextAt: Date.now() + delay };
    this.attempts.set(record.path, attempt);
    return attempt;
  }

  private async reportUnwatched(folder: WatchedFolder, subfolders: string[]): Promise<void> {
    const unwatched = await this.unwatched.check(folder, subfolders);
    if (unwatched) this.events.notice('warning', unwatched.message, unwatched.action);
  }

  /** Says once when a subfolder cannot be read, and again when it can. */
  private reportUnreadable(folder: WatchedFolder, unreadable: string[]): void {
    const now = new Set(unreadable.filter((place) => place !== folder.path));
    for (const place of this.unreadableFolders) {
      if (!isWithin(folder.path, place) || now.has(place)) continue;
      this.unreadableFolders.delete(place);
      this.events.notice('info', `${place} can be read again; the captures in it are picked up now.`);
    }
    for (const place of now) {
      if (this.unreadableFolders.has(place)) continue;
      this.unreadableFolders.add(place);
      this.events.notice(
        'warning',
        `${place}, in the watched folder ${folder.path}, cannot be read (check its permissions): captures saved there are not classified until MetaScope may read it.`,
      );
    }
  }

  private setAvailability(folder: WatchedFolder, reason: string | null): void {
    if (folder.state === (reason === null ? 'available' : 'unavailable') && folder.unavailableReason === reason) return;
    this.options.store.folders.setAvailability(folder.id, reason);
    if (reason === null) {
      this.events.notice('info', `The watched folder ${folder.path} is back; captures that arrived meanwhile are picked up now.`);
      this.retryFailedUnder(folder.path);
    } else {
      this.events.notice(
        'warning',
        `The watched folder ${folder.path} cannot be read: ${reason} MetaScope keeps looking and catches up when it is back.`,
      );
    }
    this.events.availabilityChanged(folder, reason);
  }

  /** Captures that failed while their folder was away (their file could not be read) get another try. */
  private retryFailedUnder(folderPath: string): void {
    const { captures } = this.options.store;
    const found: string[] = [];
    for (let offset = 0; ; offset += failedPageSize) {
      const page = captures.inState('failed', { limit: failedPageSize, offset });
      for (const c of page) if (c.paths.some((p) => isWithin(folderPath, p))) found.push(c.sha256);
      if (page.length < failedPageSize) break;
    }
    const retried = found.filter((sha256) => captures.retry(sha256));
    retried.forEach((sha256) => this.events.captureChanged(sha256));
    if (retried.length > 0) this.events.queued();
  }
}
