import type { EngineNotice } from '$contract/types.js';

export interface Notice {
  id: number;
  level: EngineNotice['level'];
  message: string;
  count: number;
}

const infoLingersMs = 6000;

/** Everything the engine or a failed call has to tell the person, in its own words. */
class Notices {
  items = $state<Notice[]>([]);
  #nextId = 1;

  add(level: Notice['level'], message: string): void {
    const same = this.items.find((n) => n.message === message && n.level === level);
    if (same) {
      same.count++;
      return;
    }
    const id = this.#nextId++;
    this.items.push({ id, level, message, count: 1 });
    if (level === 'info') setTimeout(() => this.dismiss(id), infoLingersMs);
  }

  dismiss(id: number): void {
    this.items = this.items.filter((n) => n.id !== id);
  }
}

export const notices = new Notices();

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
