import { SvelteMap } from 'svelte/reactivity';
import type { CaptureRow, HistoryAgreement, HistoryFilter, HistoryStats } from '$contract/types.js';
import { app } from './app.svelte.js';
import { ask } from './ask.svelte.js';
import { historyShown } from './facility.svelte.js';

/** 'fraction': the share of a field's cells in the filter's `fractionClass`. */
export type SortKey = 'time' | 'probability' | 'fileName' | 'class' | 'fraction';
export interface Sort {
  key: SortKey;
  direction: 'asc' | 'desc';
}

/**
 * The filter without its unset keys. Over the desktop's MessagePort an unset key still arrives (as
 * undefined), and the engine's defaults (the charts leave out-of-scope results out) give way to it.
 */
export function definedOf(filter: HistoryFilter): HistoryFilter {
  return Object.fromEntries(
    Object.entries(filter).filter(([, value]) => value !== undefined),
  ) as HistoryFilter;
}

/**
 * The filter as the history shown takes it: a facility's has no failures or watched folders (they
 * are each workstation's own), a workstation's own knows no other workstations or microscopes. A
 * filter kept from before the history changed (a plate's folder) is thus never refused.
 */
export function applicableOf(filter: HistoryFilter): HistoryFilter {
  const { status, folderId, workstation, microscope, ...rest } = filter;
  return definedOf(
    historyShown.facility ? { ...rest, workstation, microscope } : { ...rest, status, folderId },
  );
}

/** The viewer's own zone: days in the charts and times in the CSV are theirs, not the server's. */
export const viewerTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone;

const pageSize = 200;
/** Pages kept around the view; farther ones are dropped and fetched again if scrolled back to. */
const keptPages = 20;
/** Fetch once scrolling pauses, not for every page flown past on the way. */
const settleMs = 100;

/**
 * The History table's data: a filter, a sort, and pages of rows fetched as they scroll into view,
 * so 100,000 results cost what the visible ones cost.
 */
class HistoryView {
  filter = $state<HistoryFilter>({});
  sort = $state<Sort>({ key: 'time', direction: 'desc' });
  total = $state<number | null>(null);
  stats = $state.raw<HistoryStats | null>(null);
  /** How often reviewers kept the model's class, for the filtered results. */
  agreement = $state.raw<HistoryAgreement | null>(null);
  layout = $state<'table' | 'grid'>('table');
  /** Where the person had scrolled to, kept while they look at a capture. */
  scrollTop = $state(0);
  /** The app's change count when these rows were fetched: newer results are offered, not pushed in. */
  loadedAt = $state(0);
  #pages = new SvelteMap<number, CaptureRow[]>();
  #requested = new Set<number>();
  #generation = 0;
  #fetchedFor = '';
  #wanted = { first: 0, last: 0 };
  #timer: ReturnType<typeof setTimeout> | undefined;

  rowAt(index: number): CaptureRow | undefined {
    return this.#pages.get(Math.floor(index / pageSize))?.[index % pageSize];
  }

  /** Characters in the longest model version of the rows fetched, which the Model column makes room for. */
  get longestModelVersion(): number {
    let longest = 0;
    for (const rows of this.#pages.values())
      for (const row of rows) longest = Math.max(longest, row.model?.version.length ?? 0);
    return longest;
  }

  get stale(): boolean {
    return app.changes !== this.loadedAt;
  }

  /** The rows now on screen (indices, inclusive). */
  show(first: number, last: number): void {
    this.#wanted = { first, last };
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#fetchWanted(), settleMs);
  }

  /** Fetches again from the top when the filter or sort changed since the rows were fetched, or when asked to. */
  refresh(force = false): void {
    // The share of a class needs that class: without it, back to the newest first.
    if (this.sort.key === 'fraction' && !this.filter.fractionClass)
      this.sort = { key: 'time', direction: 'desc' };
    const key = JSON.stringify([applicableOf(this.filter), this.sort, historyShown.address]);
    if (key === this.#fetchedFor && !force) return;
    this.#fetchedFor = key;
    this.scrollTop = 0;
    this.#wanted = { first: 0, last: 0 };
    this.#generation++;
    this.#pages.clear();
    this.#requested.clear();
    this.loadedAt = app.changes;
    this.#fetchWanted();
    void this.#loadStats();
  }

  /** The filtered results as CSV, in the order shown; `cells`: one row per cell of each field. */
  async exportCsv(cells = false): Promise<{ csv: string; rows: number } | undefined> {
    return ask('history.exportCsv', {
      filter: applicableOf(this.filter),
      cells,
      sort: this.sort,
      timeZone: viewerTimeZone(),
    });
  }

  /** Opens History on one folder's captures whose names contain `search` (a well, from the plate view). */
  showOnly(filter: HistoryFilter): void {
    this.filter = filter;
    this.layout = 'table';
  }

  #fetchWanted(): void {
    const { first, last } = this.#wanted;
    for (let page = Math.floor(first / pageSize); page <= Math.floor(last / pageSize); page++) {
      if (!this.#pages.has(page) && !this.#requested.has(page)) void this.#load(page);
    }
  }

  async #load(page: number): Promise<void> {
    const generation = this.#generation;
    this.#requested.add(page);
    const result = await ask('history.query', {
      filter: applicableOf(this.filter),
      sort: this.sort,
      offset: page * pageSize,
      limit: pageSize,
    });
    if (generation !== this.#generation) return;
    this.#requested.delete(page);
    if (!result) return;
    this.total = result.total;
    this.#pages.set(page, result.rows);
    const centre = Math.floor(this.#wanted.first / pageSize);
    const farthestFirst = [...this.#pages.keys()].sort((a, b) => Math.abs(b - centre) - Math.abs(a - centre));
    for (const old of farthestFirst.slice(0, Math.max(0, this.#pages.size - keptPages)))
      this.#pages.delete(old);
  }

  async #loadStats(): Promise<void> {
    const generation = this.#generation;
    const filter = applicableOf(this.filter);
    const [stats, agreement] = await Promise.all([
      ask('history.stats', { filter, timeZone: viewerTimeZone() }),
      ask('history.agreement', { filter }),
    ]);
    if (generation !== this.#generation) return;
    if (stats) this.stats = stats;
    if (agreement) this.agreement = agreement;
  }
}

export const history = new HistoryView();
