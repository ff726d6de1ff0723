import type { HistoryRow } from '../store/history.js';
import type { HistorySource } from './history-source.js';

/**
 * Captures this workstation sent to a facility come back classified by its workers, in the
 * facility's database, and nothing tells the engine when. While some are awaited, it asks every
 * few seconds which of them have a result, and hands on each result as it arrives.
 */
export class SentCaptures {
  private readonly awaited = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly history: HistorySource,
    private readonly onResult: (row: HistoryRow) => void,
    private readonly everyMs = 2000,
  ) {}

  /** `sha256` was sent: its result is awaited. */
  sent(sha256: string): void {
    this.awaited.add(sha256);
    this.schedule();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.awaited.clear();
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => void this.check(), this.everyMs);
    this.timer.unref();
  }

  private async check(): Promise<void> {
    this.timer = null;
    // Back on this workstation's own history: what was sent shows in the facility's, not here.
    if (this.history.store.scope !== 'facility') return this.awaited.clear();
    try {
      const arrived = new Map<string, HistoryRow>();
      for (const row of await this.history.store.forCaptures([...this.awaited]))
        if (!arrived.has(row.sha256)) arrived.set(row.sha256, row);
      for (const [sha256, row] of arrived) {
        this.awaited.delete(sha256);
        if (!this.closed) this.onResult(row);
      }
    } catch {
      // The facility out of reach: the outbox says so; ask again at the next round.
    }
    if (this.awaited.size > 0) this.schedule();
  }
}
