import { app } from './app.svelte.js';
import { ask } from './ask.svelte.js';

/**
 * Who is reviewing at this workstation. Asked once, the first time someone decides, then kept in
 * the settings file and sent with every review and every undo.
 */
class Reviewer {
  /** The dialog is open, waiting for a name. */
  asking = $state(false);
  /** Someone chose to go on without a name: not asked again until the app is opened anew. */
  #declined = false;
  #answer: ((name: string | null) => void) | null = null;

  readonly name = $derived(app.settings?.reviewerName ?? null);

  /** The name to send with a decision; asks for it the first time. Undefined when there is none. */
  async ensure(): Promise<string | undefined> {
    if (this.name) return this.name;
    if (this.#declined) return undefined;
    this.asking = true;
    const name = await new Promise<string | null>((resolve) => (this.#answer = resolve));
    return name ?? undefined;
  }

  /** The dialog's answer: a name to keep, or null to review without one. */
  async answer(name: string | null): Promise<void> {
    const kept = name?.trim() ? await this.save(name) : null;
    if (!kept) this.#declined = true;
    this.asking = false;
    this.#answer?.(kept);
    this.#answer = null;
  }

  /** Keeps the name in the settings file; a blank one forgets it. */
  async save(name: string): Promise<string | null> {
    const settings = await ask('settings.update', { reviewerName: name.trim() || null });
    if (settings) app.settings = settings;
    return settings?.reviewerName ?? null;
  }
}

export const reviewer = new Reviewer();
