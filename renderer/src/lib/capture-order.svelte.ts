import type { HistoryFilter } from '$contract/types.js';
import { ask } from './ask.svelte.js';
import { applicableOf, history, type Sort } from './history.svelte.js';

/** How many of the latest captures the newest-first order walks through (the contract's most). */
const recentLimit = 500;

/** A capture's neighbours in the list the person opened it from. */
export interface Neighbours {
  previous: string | null;
  next: string | null;
}

/**
 * The order that Next and Previous follow: the History list as filtered and sorted when a row of
 * it was opened, else the newest first (as Live shows them).
 */
class CaptureOrder {
  #list: { filter: HistoryFilter; sort: Sort; index: number; sha256: string } | null = null;

  /** Row `index` of History, as it is now filtered and sorted, is being opened. */
  openedFromHistory(index: number, sha256: string): void {
    this.#list = { filter: applicableOf(history.filter), sort: { ...history.sort }, index, sha256 };
  }

  async neighbours(sha256: string): Promise<Neighbours> {
    const list = this.#list;
    // Reached some other way (Live, a link) since: History's order no longer says where it stands.
    if (list?.sha256 !== sha256) return this.#newestFirst(sha256);
    const first = Math.max(0, list.index - 1);
    const page = await ask('history.query', {
      filter: list.filter,
      sort: list.sort,
      offset: first,
      limit: list.index - first + 2,
    });
    const at = page?.rows.findIndex((row) => row.sha256 === sha256) ?? -1;
    if (!page || at < 0) return this.#newestFirst(sha256);
    return { previous: page.rows[at - 1]?.sha256 ?? null, next: page.rows[at + 1]?.sha256 ?? null };
  }

  /**
   * A capture is opened from Live: newest first from here on, even if it is the one last reached
   * in History (the same capture, opened from another list).
   */
  openedFromLive(): void {
    this.#list = null;
  }

  /** Moves along the list from `sha256` to `to`, one step either way. */
  stepped(sha256: string, to: string, by: 1 | -1): void {
    if (this.#list?.sha256 === sha256)
      this.#list = { ...this.#list, index: this.#list.index + by, sha256: to };
  }

  async #newestFirst(sha256: string): Promise<Neighbours> {
    const recent = (await ask('captures.recent', { limit: recentLimit })) ?? [];
    const at = recent.findIndex((row) => row.sha256 === sha256);
    if (at < 0) return { previous: null, next: null };
    return { previous: recent[at - 1]?.sha256 ?? null, next: recent[at + 1]?.sha256 ?? null };
  }
}

export const captureOrder = new CaptureOrder();
