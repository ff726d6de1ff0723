/**
 * One pass over a folder. `changed` names the files to look at (with those still settling);
 * undefined means the whole folder. Returns when the folder next has a file coming due, or null.
 */
export type Pass = (folderId: number, changed: ReadonlySet<string> | undefined, stopping: () => boolean) => Promise<number | null>;

interface Slot {
  running: Promise<void> | null;
  /** Asked for again while running: one more pass follows, over everything asked for meanwhile. */
  again: boolean;
  full: boolean;
  changed: Set<string>;
  timer: NodeJS.Timeout | null;
}

/**
 * Runs reconcile passes, one at a time per folder, never more than asked: any number of requests
 * during a pass become one follow-up pass, full if any of them was. A pass returns when the folder
 * next has a file coming due, and a timer wakes it then; with nothing pending, nothing runs.
 */
export class PassScheduler {
  private readonly slots = new Map<number, Slot>();
  /** Passes in progress, also those of dropped folders, so that stop waits for every one. */
  private readonly active = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly pass: Pass) {}

  /**
   * Resolves once a pass that started after this call has finished for the folder. Without
   * `changed`, the pass lists the whole folder; with it, the pass looks at those files only.
   */
  run(folderId: number, changed?: Iterable<string>): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const slot = this.slot(folderId);
    if (changed === undefined) slot.full = true;
    else for (const file of changed) slot.changed.add(file);
    if (slot.running) {
      slot.again = true;
      return slot.running;
    }
    const running = this.loop(folderId, slot).finally(() => {
      slot.running = null;
      this.active.delete(running);
    });
    this.active.add(running);
    slot.running = running;
    return running;
  }

  /** Forgets a folder no longer watched: no timer, no follow-up pass. */
  drop(folderId: number): void {
    const slot = this.slots.get(folderId);
    if (!slot) return;
    this.slots.delete(folderId);
    if (slot.timer) clearTimeout(slot.timer);
    slot.again = false;
  }

  /** Cancels the timers and waits for passes in progress (which stop early between files). */
  async stop(): Promise<void> {
    this.stopped = true;
    [...this.slots.keys()].forEach((id) => this.drop(id));
    await Promise.all(this.active);
  }

  private slot(folderId: number): Slot {
    let slot = this.slots.get(folderId);
    if (!slot) this.slots.set(folderId, (slot = { running: null, again: false, full: false, changed: new Set(), timer: null }));
    return slot;
  }

  private async loop(folderId: number, slot: Slot): Promise<void> {
    do {
      slot.again = false;
      if (slot.timer) clearTimeout(slot.timer);
      slot.timer = null;
      const changed = slot.full ? undefined : slot.changed;
      slot.full = false;
      slot.changed = new Set();
      const wakeAt = await this.pass(folderId, changed, () => this.stopped);
      if (wakeAt !== null && !this.stopped && this.slots.get(folderId) === slot) {
        // Coming due is about files the store already knows to be settling: no listing needed.
        slot.timer = setTimeout(() => void this.run(folderId, []), Math.max(0, wakeAt - Date.now()));
      }
    } while (slot.again && !this.stopped);
  }
}
