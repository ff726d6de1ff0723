import type { AppStatus, CaptureRow, Progress, Settings, WatchedFolder } from '$contract/types.js';
import { ask } from './ask.svelte.js';
import { engine, type ConnectionState } from './engine.js';
import { notices } from './notices.svelte.js';

const recentLimit = 60;
const unreviewedRefreshMs = 1500;

/** What every screen shares: the engine's status, folders, newest captures, and the connection. */
class AppState {
  connection = $state<ConnectionState>('connecting');
  status = $state<AppStatus | null>(null);
  progress = $state<Progress | null>(null);
  folders = $state<WatchedFolder[]>([]);
  settings = $state<Settings | null>(null);
  recent = $state.raw<CaptureRow[]>([]);
  recentLoaded = $state(false);
  /** Unreviewed results, for the Review badge. */
  unreviewed = $state(0);
  /** Counts every change to a capture, so History can offer to refresh. */
  changes = $state(0);
  #unreviewedTimer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    engine.api.on('app.status', (status) => {
      this.status = status;
      this.progress = status.progress;
    });
    engine.api.on('progress', (progress) => (this.progress = progress));
    engine.api.on('folders.changed', (folders) => (this.folders = folders));
    engine.api.on('notice', (notice) => notices.add(notice.level, notice.message, notice.action));
    engine.api.on('capture.updated', (row) => this.#captureUpdated(row));
    // After a lost connection everything may have changed meanwhile: fetch it all again.
    let lost = false;
    engine.onState((state) => {
      this.connection = state;
      if (state === 'lost') lost = true;
      if (state === 'open' && lost) {
        lost = false;
        void this.load();
      }
    });
  }

  async load(): Promise<void> {
    const [status, folders, recent, settings] = await Promise.all([
      ask('app.status', {}),
      ask('folders.list', {}),
      ask('captures.recent', { limit: recentLimit }),
      ask('settings.get', {}),
    ]);
    if (status) {
      this.status = status;
      this.progress = status.progress;
    }
    if (folders) this.folders = folders;
    if (settings) this.settings = settings;
    if (recent) {
      this.recent = recent;
      this.recentLoaded = true;
    }
    await this.refreshUnreviewed();
  }

  async refreshUnreviewed(): Promise<void> {
    const queue = await ask('reviews.queue', { limit: 1 });
    if (queue) this.unreviewed = queue.total;
  }

  /** Newest first; a capture already shown is updated where it is. */
  #captureUpdated(row: CaptureRow): void {
    const index = this.recent.findIndex((r) => r.sha256 === row.sha256);
    this.recent = index >= 0 ? this.recent.with(index, row) : [row, ...this.recent].slice(0, recentLimit);
    this.changes++;
    clearTimeout(this.#unreviewedTimer);
    this.#unreviewedTimer = setTimeout(() => void this.refreshUnreviewed(), unreviewedRefreshMs);
  }
}

export const app = new AppState();
