import { app } from './app.svelte.js';

/**
 * Which history the app shows: this workstation's own, or a facility's shared one (every
 * workstation's results, in PostgreSQL). Failures, watched folders and plates stay each
 * workstation's own, so screens hide them while a facility's history is shown.
 */
class HistoryShown {
  readonly facility = $derived(app.status?.history.scope === 'facility');
  /** The facility's address, without its password; null in the workstation's own history. */
  readonly address = $derived(app.status?.history.facility ?? null);
}

export const historyShown = new HistoryShown();
