import type { Progress } from '../../contract/types.js';

const intervalMs = 250;

/**
 * Sends progress at most a few times a second, and always the last update, so Live never stops
 * one short.
 */
export class ProgressReporter {
  private lastAt = 0;
  private trailing: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly current: () => Progress,
    private readonly send: (progress: Progress) => void,
  ) {}

  report = (): void => {
    // Stopping the intake reports progress too: no update may be left to fire on a closed store.
    if (this.closed) return;
    const wait = this.lastAt + intervalMs - Date.now();
    if (wait > 0) {
      this.trailing ??= setTimeout(() => {
        this.trailing = null;
        this.report();
      }, wait);
      return;
    }
    this.lastAt = Date.now();
    this.send(this.current());
  };

  close(): void {
    this.closed = true;
    if (this.trailing) clearTimeout(this.trailing);
  }
}
