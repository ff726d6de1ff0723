import type { CaptureDetail, CellRow } from '$contract/types.js';
import { ask } from './ask.svelte.js';
import { engine } from './engine.js';
import { undoReview } from './review-session.svelte.js';
import { reviewer } from './reviewer.svelte.js';

export type CellOrder = 'number' | 'uncertain' | 'class';

/**
 * One capture as the Capture screen shows it: its detail and, for a whole field, its cells, the
 * one chosen and the one under the pointer. The picture, the cell list and the cell panel share it.
 */
export class CaptureView {
  readonly sha256: string;
  detail = $state.raw<CaptureDetail | null>(null);
  missing = $state(false);
  selectedId = $state<number | null>(null);
  hoveredId = $state<number | null>(null);
  outlines = $state(true);
  order = $state<CellOrder>('number');
  saving = $state(false);
  /** Counts the cells picked on the picture, whose panel is then brought into view. */
  revealed = $state(0);

  readonly cells = $derived<CellRow[]>(this.detail?.cells ?? []);
  readonly selected = $derived(this.cells.find((c) => c.id === this.selectedId) ?? null);
  readonly ordered = $derived(sortCells(this.cells, this.order));
  readonly classes = $derived.by(() => {
    const probabilities = this.detail?.capture.probabilities ?? this.cells[0]?.probabilities ?? {};
    return Object.keys(probabilities);
  });

  constructor(sha256: string) {
    this.sha256 = sha256;
  }

  async load(): Promise<void> {
    const next = await ask('captures.get', { sha256: this.sha256 });
    this.missing = !next;
    this.detail = next ?? null;
    // A re-run has new cells: a choice among the old ones no longer means anything.
    if (this.selectedId !== null && !this.cells.some((c) => c.id === this.selectedId)) this.selectedId = null;
  }

  /** Keeps the view current while it is open (classified again, reviewed elsewhere). */
  follow(): () => void {
    return engine.api.on('capture.updated', (row) => row.sha256 === this.sha256 && void this.load());
  }

  select(id: number | null, { reveal = false } = {}): void {
    this.selectedId = id;
    if (reveal && id !== null) this.revealed++;
  }

  /** The next or previous cell in the list's order, from the chosen one. */
  step(by: number): void {
    const list = this.ordered;
    if (list.length === 0) return;
    const at = list.findIndex((c) => c.id === this.selectedId);
    const next = at < 0 ? (by > 0 ? 0 : list.length - 1) : Math.min(list.length - 1, Math.max(0, at + by));
    this.selectedId = list[next]!.id;
  }

  /** A person's word on one cell: a class, or "not a cell". */
  async reviewCell(cell: CellRow, label: string): Promise<boolean> {
    this.saving = true;
    const name = await reviewer.ensure();
    const review = await ask('reviews.add', {
      sha256: this.sha256,
      cellId: cell.id,
      label,
      note: '',
      reviewer: name,
    });
    this.saving = false;
    if (!review) return false;
    // Shown at once; the reload brings the engine's view (and anything else that changed).
    if (this.detail) {
      this.detail = {
        ...this.detail,
        cells: this.detail.cells.map((c) => (c.id === cell.id ? { ...c, review } : c)),
      };
    }
    await this.load();
    return true;
  }

  /** Takes back the cell's standing review: the one before it, if any, stands again. */
  async undoCell(cell: CellRow): Promise<void> {
    if (!cell.review) return;
    this.saving = true;
    const undone = await undoReview(cell.review);
    this.saving = false;
    if (undone) await this.load();
  }
}

function sortCells(cells: CellRow[], order: CellOrder): CellRow[] {
  const list = [...cells];
  if (order === 'uncertain') return list.sort((a, b) => a.probability - b.probability || a.index - b.index);
  if (order === 'class')
    return list.sort((a, b) => a.class.localeCompare(b.class) || b.probability - a.probability);
  return list.sort((a, b) => a.index - b.index);
}
