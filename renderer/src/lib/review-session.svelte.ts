import type { CaptureRow, Review } from '$contract/types.js';
import { app } from './app.svelte.js';
import { ask } from './ask.svelte.js';
import { reviewer } from './reviewer.svelte.js';

/** One decision made in the queue, with where its capture stood, so an undo can put it back there. */
export interface Decision {
  review: Review;
  row: CaptureRow;
  position: number;
}

/** What narrows the queue: one watched folder, one class the model gave. */
export interface QueueScope {
  folderId?: number;
  modelClass?: string;
}

/** Takes a decision back, in the reviewer's name; the engine's answer is the withdrawn review. */
export async function undoReview(review: Review): Promise<Review | undefined> {
  const undone = await ask('reviews.withdraw', { id: review.id, reviewer: reviewer.name ?? undefined });
  if (undone) void app.refreshUnreviewed();
  return undone;
}

/**
 * This session's review work, kept while the app is open (leaving the queue for a capture's full
 * view and coming back loses nothing): the decisions, newest first, and the captures skipped.
 */
class ReviewSession {
  decisions = $state.raw<Decision[]>([]);
  /** Skipped captures, in the order skipped: they come back at the end of the queue. */
  skipped = $state.raw<string[]>([]);
  scope = $state<QueueScope>({});

  /** The last decision still standing: what Ctrl+Z takes back. */
  readonly last = $derived(this.decisions.find((d) => d.review.withdrawnAt === null));

  async decide(row: CaptureRow, label: string, note: string, position: number): Promise<Review | undefined> {
    const name = await reviewer.ensure();
    const review = await ask('reviews.add', { sha256: row.sha256, label, note, reviewer: name });
    if (!review) return undefined;
    this.decisions = [{ review, row, position }, ...this.decisions];
    this.skipped = this.skipped.filter((sha) => sha !== row.sha256);
    void app.refreshUnreviewed();
    return review;
  }

  async undo(decision: Decision): Promise<boolean> {
    const undone = await undoReview(decision.review);
    if (!undone) return false;
    this.decisions = this.decisions.map((d) => (d === decision ? { ...d, review: undone } : d));
    return true;
  }

  skip(sha256: string): void {
    this.skipped = [...this.skipped.filter((sha) => sha !== sha256), sha256];
  }

  /** The engine's order, with this session's skipped captures moved to the end. */
  arrange(rows: CaptureRow[]): CaptureRow[] {
    const skippedAt = (row: CaptureRow) => this.skipped.indexOf(row.sha256);
    return [
      ...rows.filter((row) => skippedAt(row) < 0),
      ...rows.filter((row) => skippedAt(row) >= 0).sort((a, b) => skippedAt(a) - skippedAt(b)),
    ];
  }

  /** Whether a capture belongs in the queue as it is narrowed now. */
  inScope(row: CaptureRow): boolean {
    const { folderId, modelClass } = this.scope;
    return (
      (folderId === undefined || row.folderId === folderId) &&
      (modelClass === undefined || row.class === modelClass)
    );
  }
}

export const reviewSession = new ReviewSession();
