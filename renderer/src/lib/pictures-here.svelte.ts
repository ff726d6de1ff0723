import { SvelteMap } from 'svelte/reactivity';
import { engine } from './engine.js';
import { historyShown } from './facility.svelte.js';

/**
 * Whether this workstation can draw a capture's picture. In its own history it always can; in a
 * facility's, only for captures it holds itself: the others were taken at another workstation,
 * and asking for their picture would only be answered "not found" (an error in the console).
 * The engine is asked once per capture, through the contract: a facility's capture says whether
 * this workstation holds it.
 */
class PicturesHere {
  #known = new SvelteMap<string, boolean>();
  #asking = new Set<string>();

  /** True or false; undefined while the engine is being asked. */
  here(sha256: string): boolean | undefined {
    if (!historyShown.facility) return true;
    const known = this.#known.get(sha256);
    if (known === undefined) void this.#ask(sha256);
    return known;
  }

  async #ask(sha256: string): Promise<void> {
    if (this.#asking.has(sha256)) return;
    this.#asking.add(sha256);
    // Called directly, not through ask(): a capture held elsewhere is no problem to tell the person of.
    const held = await engine.api.call('captures.get', { sha256 }).then(
      (detail) => detail.capture.here !== false,
      () => false,
    );
    this.#asking.delete(sha256);
    this.#known.set(sha256, held);
  }
}

export const picturesHere = new PicturesHere();
