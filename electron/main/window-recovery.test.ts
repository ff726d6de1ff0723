import { describe, expect, it } from 'vitest';
import { createWindowRecovery } from './window-recovery.js';

describe('window recovery after its page process is gone', () => {
  it('reloads a few times, a little later each time, then asks instead of reloading without end', () => {
    const recovery = createWindowRecovery();
    expect(recovery.onGone('crashed', 0)).toEqual({ action: 'reload', delayMs: 0 });
    expect(recovery.onGone('crashed', 1_000)).toEqual({ action: 'reload', delayMs: 1_000 });
    expect(recovery.onGone('oom', 2_000)).toEqual({ action: 'reload', delayMs: 3_000 });
    const fourth = recovery.onGone('crashed', 3_000);
    expect(fourth).toMatchObject({ action: 'ask' });
    expect(fourth.action === 'ask' && fourth.message).toMatch(
      /^The MetaScope window stopped 4 times within a minute \(last: it crashed\).*Help > Show Log File.*\.$/,
    );
    expect(recovery.onGone('crashed', 4_000)).toMatchObject({ action: 'ask' });
  });

  it('reloads again once the losses are more than a minute apart', () => {
    const recovery = createWindowRecovery();
    for (const at of [0, 1, 2]) recovery.onGone('crashed', at);
    expect(recovery.onGone('crashed', 61_000)).toEqual({ action: 'reload', delayMs: 0 });
  });

  it('starts counting again after the user asked for a reload', () => {
    const recovery = createWindowRecovery();
    for (const at of [0, 1, 2, 3]) recovery.onGone('killed', at);
    recovery.reset();
    expect(recovery.onGone('killed', 4)).toEqual({ action: 'reload', delayMs: 0 });
  });

  it('does nothing after a clean exit, and asks at once when a code integrity check refused the page', () => {
    const recovery = createWindowRecovery();
    expect(recovery.onGone('clean-exit', 0)).toEqual({ action: 'none' });
    expect(recovery.onGone('integrity-failure', 0)).toMatchObject({
      action: 'ask',
      message: expect.stringContaining("because Windows' code integrity check refused it"),
    });
  });
});
