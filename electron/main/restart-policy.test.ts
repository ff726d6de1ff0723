import { describe, expect, it } from 'vitest';
import { createRestartPolicy } from './restart-policy.js';

describe('restart policy', () => {
  const options = { maxRestarts: 3, windowMs: 60_000, delaysMs: [250, 1000, 4000] };

  it('restarts with growing delays, then gives up within the window', () => {
    const policy = createRestartPolicy(options);
    expect(policy.onCrash(0)).toEqual({ restart: true, delayMs: 250, attempt: 1 });
    expect(policy.onCrash(1000)).toEqual({ restart: true, delayMs: 1000, attempt: 2 });
    expect(policy.onCrash(2000)).toEqual({ restart: true, delayMs: 4000, attempt: 3 });
    expect(policy.onCrash(3000)).toEqual({ restart: false, crashes: 4 });
  });

  it('forgets crashes older than the window', () => {
    const policy = createRestartPolicy(options);
    policy.onCrash(0);
    policy.onCrash(1);
    policy.onCrash(2);
    expect(policy.onCrash(70_000)).toEqual({ restart: true, delayMs: 250, attempt: 1 });
  });

  it('starts over after a reset', () => {
    const policy = createRestartPolicy(options);
    for (let i = 0; i < 4; i++) policy.onCrash(i);
    policy.reset();
    expect(policy.onCrash(10)).toMatchObject({ restart: true, attempt: 1 });
  });
});
