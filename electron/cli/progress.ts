import type { WriteStream } from 'node:tty';

/** A one-line progress bar on a terminal's stderr; silent when stderr is a file or pipe. */
export class ProgressBar {
  private lastDraw = 0;
  private readonly enabled: boolean;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly total: number,
    minimum = 6,
  ) {
    this.enabled = Boolean((stream as WriteStream).isTTY) && total >= minimum;
  }

  update(finished: number, failed: number, rate: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.lastDraw < 100 && finished < this.total) return;
    this.lastDraw = now;
    const width = 30;
    const filled = Math.round((finished / this.total) * width);
    const eta = rate > 0 ? Math.round((this.total - finished) / rate) : null;
    const text =
      `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${finished}/${this.total}` +
      (failed > 0 ? `, ${failed} failed` : '') +
      (rate > 0 ? `, ${rate.toFixed(1)}/s` : '') +
      (eta !== null && finished < this.total ? `, ${eta}s left` : '');
    this.stream.write(`\r${text}\x1b[K`);
  }

  done(): void {
    if (this.enabled) this.stream.write('\r\x1b[K');
  }
}
