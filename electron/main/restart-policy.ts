/**
 * When the engine process dies unexpectedly it is started again, a little later each time; after
 * too many deaths in a short while MetaScope stops trying and says so. Pure, so it is tested.
 */
export interface RestartPolicyOptions {
  /** Restarts allowed within `windowMs` before giving up. */
  maxRestarts: number;
  windowMs: number;
  /** Delay before the 1st, 2nd, … restart in the window (the last repeats). */
  delaysMs: readonly number[];
}

export type RestartDecision =
  { restart: true; delayMs: number; attempt: number } | { restart: false; crashes: number };

export const defaultRestartPolicy: RestartPolicyOptions = {
  maxRestarts: 3,
  windowMs: 60_000,
  delaysMs: [250, 1_000, 4_000],
};

export function createRestartPolicy(options: RestartPolicyOptions = defaultRestartPolicy) {
  let crashes: number[] = [];
  return {
    /** Call on each unexpected exit. */
    onCrash(now: number): RestartDecision {
      crashes = crashes.filter((at) => now - at < options.windowMs);
      crashes.push(now);
      if (crashes.length > options.maxRestarts) return { restart: false, crashes: crashes.length };
      const delay = options.delaysMs[Math.min(crashes.length - 1, options.delaysMs.length - 1)] ?? 0;
      return { restart: true, delayMs: delay, attempt: crashes.length };
    },
    /** Forget past crashes (e.g. after the user asked for a restart). */
    reset(): void {
      crashes = [];
    },
  };
}
