import type { EngineNotice, NoticeAction } from '$contract/types.js';

export interface Notice {
  id: number;
  level: EngineNotice['level'];
  message: string;
  /** How many times it was said; `at` is the last time. */
  count: number;
  at: Date;
  action?: NoticeAction;
  /** In the notice area under the screen; once faded or dismissed it is still in the list. */
  showing: boolean;
  /** Its action was taken. */
  done: boolean;
}

const infoLingersMs = 6000;
/** The list keeps this many, newest first; older ones are dropped. */
const kept = 200;

/**
 * Everything the engine or a failed call has to tell the person, in its own words. Each is shown
 * under the screen; a note fades after a few seconds unless it offers an action, the rest stay
 * until dismissed, and all of them stay in the Notices list to read later.
 */
class Notices {
  /** Newest first. */
  all = $state<Notice[]>([]);
  showing = $derived(this.all.filter((n) => n.showing));
  /** Said since the Notices list was last opened. */
  unread = $state(0);
  #nextId = 1;
  #fades = new Map<number, ReturnType<typeof setTimeout>>();

  add(level: Notice['level'], message: string, action?: NoticeAction): void {
    this.unread++;
    const same = this.all.find((n) => n.message === message && n.level === level && !n.done);
    if (same) {
      same.count++;
      same.at = new Date();
      same.showing = true;
      this.#fadeLater(same);
      return;
    }
    const notice: Notice = {
      id: this.#nextId++,
      level,
      message,
      count: 1,
      at: new Date(),
      action,
      showing: true,
      done: false,
    };
    this.all = [notice, ...this.all].slice(0, kept);
    this.#fadeLater(this.all[0]!);
  }

  /** Out of the notice area; still in the list. */
  hide(id: number): void {
    const notice = this.all.find((n) => n.id === id);
    if (notice) notice.showing = false;
  }

  /** Its action was taken: it leaves the area and says so in the list. */
  resolve(id: number): void {
    const notice = this.all.find((n) => n.id === id);
    if (!notice) return;
    notice.done = true;
    notice.showing = false;
  }

  remove(id: number): void {
    this.all = this.all.filter((n) => n.id !== id);
  }

  clear(): void {
    this.all = [];
  }

  markRead(): void {
    this.unread = 0;
  }

  /** A plain note fades; a warning, a problem or a question (an action) waits for the person. */
  #fadeLater(notice: Notice): void {
    if (notice.level !== 'info' || notice.action) return;
    clearTimeout(this.#fades.get(notice.id));
    this.#fades.set(
      notice.id,
      setTimeout(() => {
        this.#fades.delete(notice.id);
        this.hide(notice.id);
      }, infoLingersMs),
    );
  }
}

export const notices = new Notices();

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
