import type { RenderProcessGoneDetails } from 'electron';
import { createRestartPolicy, type RestartPolicyOptions } from './restart-policy.js';
import { whereTheLogIs } from '../core/log-file.js';

/**
 * What the window does when its page's process is gone: reload it, a little later each time, and
 * after too many losses in a short while stop and ask the user. Pure (a type import only), so it
 * is tested.
 */
type GoneReason = RenderProcessGoneDetails['reason'];

export type WindowRecovery =
  { action: 'none' } | { action: 'reload'; delayMs: number } | { action: 'ask'; message: string };

export const windowReloadPolicy: RestartPolicyOptions = {
  maxRestarts: 3,
  windowMs: 60_000,
  delaysMs: [0, 1_000, 3_000],
};

const inWords: Record<GoneReason, string> = {
  'clean-exit': 'it closed',
  'abnormal-exit': 'it stopped with an error',
  killed: 'the system stopped it',
  crashed: 'it crashed',
  oom: 'it ran out of memory',
  'launch-failed': 'it could not start',
  'integrity-failure': "Windows' code integrity check refused it",
  'memory-eviction': 'the system reclaimed its memory',
};

export function createWindowRecovery(options: RestartPolicyOptions = windowReloadPolicy) {
  const policy = createRestartPolicy(options);
  const ask = (what: string): WindowRecovery => ({
    action: 'ask',
    message: `The MetaScope window stopped ${what}, so it was not reloaded again. Captures keep being classified meanwhile. Reload the window, or quit MetaScope. ${whereTheLogIs()}`,
  });
  return {
    onGone(reason: GoneReason, now: number): WindowRecovery {
      if (reason === 'clean-exit') return { action: 'none' };
      // Reloading cannot pass a code integrity check that refused the page's process.
      if (reason === 'integrity-failure') return ask(`because ${inWords[reason]}`);
      const decision = policy.onCrash(now);
      if (decision.restart) return { action: 'reload', delayMs: decision.delayMs };
      return ask(`${decision.crashes} times within a minute (last: ${inWords[reason]})`);
    },
    /** The user asked for a reload: start counting again. */
    reset(): void {
      policy.reset();
    },
  };
}
