import type { PixelValue } from '$contract/types.js';
import { engine } from './engine.js';
import { messageOf } from './notices.svelte.js';

export interface CapturePixel {
  x: number;
  y: number;
}

/**
 * The raw value under the cursor. At most one request is on its way: while it is, the cursor's
 * latest place waits and is asked for next, so a fast-moving mouse costs one request per round trip.
 */
export class PixelReadout {
  /** The capture pixel under the cursor, shown at once; its value follows. */
  at = $state<CapturePixel | null>(null);
  reading = $state.raw<PixelValue | null>(null);
  problem = $state<string | null>(null);
  #asking = false;

  constructor(
    private readonly sha256: string,
    private readonly page: () => number,
  ) {}

  point(at: CapturePixel | null): void {
    this.at = at;
    if (!this.#asking) void this.#ask();
  }

  async #ask(): Promise<void> {
    this.#asking = true;
    let asked: CapturePixel | null = null;
    while (this.at && this.at !== asked) {
      asked = this.at;
      try {
        // Called directly, not through ask(): a file gone missing would otherwise raise a notice per mouse move.
        this.reading = await engine.api.call('captures.pixel', {
          sha256: this.sha256,
          page: this.page(),
          ...asked,
        });
        this.problem = null;
      } catch (error) {
        this.problem = messageOf(error);
      }
    }
    this.#asking = false;
  }
}
