import { fetchRendition, type Rendition } from './images.js';
import { messageOf } from './notices.svelte.js';

const sliderSettleMs = 200;

/**
 * The picture of one capture as the viewer shows it, with its contrast window: automatic (the
 * engine's percentile window) until the person moves a slider. The Capture page and the review
 * queue share it.
 */
export class PictureContrast {
  auto = $state(true);
  low = $state(0);
  high = $state(255);
  rendition = $state<Rendition | null>(null);
  problem = $state<string | null>(null);

  /**
   * Fetches the picture again whenever the capture, page, size or contrast changes (call it inside
   * an $effect; it returns the cleanup). Slider moves settle first.
   */
  follow(sha256: string, { size, page = 0 }: { size: number; page?: number }): () => void {
    const request = {
      size,
      page,
      format: 'png' as const,
      ...(this.auto ? {} : { low: this.low, high: this.high }),
    };
    const automatic = this.auto;
    let current = true;
    const timer = setTimeout(
      () =>
        fetchRendition(sha256, request).then(
          (next) => {
            if (!current) return URL.revokeObjectURL(next.url);
            if (this.rendition) URL.revokeObjectURL(this.rendition.url);
            this.rendition = next;
            this.problem = null;
            if (automatic && next.window) ({ low: this.low, high: this.high } = next.window);
          },
          (error: unknown) => current && (this.problem = messageOf(error)),
        ),
      automatic ? 0 : sliderSettleMs,
    );
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }

  /** Back to the automatic window, for the next capture. */
  reset(): void {
    this.auto = true;
  }

  release(): void {
    if (this.rendition) URL.revokeObjectURL(this.rendition.url);
    this.rendition = null;
  }
}
