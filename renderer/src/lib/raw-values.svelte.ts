import type { IntensityHistogram, PixelSize, PixelValue } from '$contract/types.js';
import { engine } from './engine.js';
import { messageOf } from './notices.svelte.js';

export interface CapturePixel {
  x: number;
  y: number;
}

/**
 * What the viewer shows of a capture's raw values: the histogram of the page shown, the value under
 * the cursor and the pixel size its file states. Asked quietly: when the file cannot be read, the
 * picture above already says why, and a moving mouse must not raise a notice at every step.
 */
export class RawValues {
  /** The capture pixel under the cursor, shown at once; its value follows. */
  at = $state<CapturePixel | null>(null);
  reading = $state.raw<PixelValue | null>(null);
  problem = $state<string | null>(null);
  histogram = $state.raw<IntensityHistogram | null>(null);
  pixelSize = $state.raw<PixelSize | null>(null);
  #asking = false;

  constructor(
    private readonly sha256: string,
    private readonly page: () => number,
  ) {}

  /** The value at the place asked, once it has come; null while it is on its way. */
  get value(): number[] | null {
    const { reading, at } = this;
    return reading && at && reading.x === at.x && reading.y === at.y ? reading.values : null;
  }

  /**
   * At most one request is on its way: while it is, the cursor's latest place waits and is asked
   * for next, so a fast-moving mouse costs one request per round trip.
   */
  point(at: CapturePixel | null): void {
    this.at = at;
    if (!this.#asking) void this.#ask();
  }

  /** The histogram of `page`, unless another page was asked for meanwhile. */
  async loadHistogram(page: number): Promise<void> {
    const next = await engine.api.call('captures.histogram', { sha256: this.sha256, page }).catch(() => null);
    if (page === this.page()) this.histogram = next;
  }

  async loadPixelSize(): Promise<void> {
    this.pixelSize = await engine.api.call('captures.pixelSize', { sha256: this.sha256 }).catch(() => null);
  }

  async #ask(): Promise<void> {
    this.#asking = true;
    let asked: CapturePixel | null = null;
    while (this.at && this.at !== asked) {
      asked = this.at;
      try {
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
