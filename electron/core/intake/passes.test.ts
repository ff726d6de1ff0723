import { describe, expect, it } from 'vitest';
import { PassScheduler } from './passes.js';
import { sleep } from './testing/fixtures.js';

/** What a pass was asked to look at: 'all' for the whole folder, else the files named. */
const seen = (changed: ReadonlySet<string> | undefined) => (changed === undefined ? 'all' : [...changed].sort());

describe('PassScheduler', () => {
  it('runs one pass at a time per folder and folds requests made meanwhile into one more', async () => {
    const ran: number[] = [];
    let release = () => {};
    const scheduler = new PassScheduler(async (id) => {
      ran.push(id);
      if (ran.length === 1) await new Promise<void>((resolve) => (release = resolve));
      return null;
    });
    const first = scheduler.run(1);
    const during = [scheduler.run(1), scheduler.run(1), scheduler.run(1)];
    await sleep(5);
    expect(ran).toEqual([1]);
    release();
    await Promise.all([first, ...during]);
    expect(ran).toEqual([1, 1]);
    await scheduler.stop();
  });

  it('gives the follow-up pass every file named meanwhile, or the whole folder if any request was for it', async () => {
    const scopes: Array<string[] | 'all'> = [];
    let release = () => {};
    const scheduler = new PassScheduler(async (_id, changed) => {
      scopes.push(seen(changed));
      if (scopes.length % 2 === 1) await new Promise<void>((resolve) => (release = resolve));
      return null;
    });
    const first = scheduler.run(1, ['/in/a.tif']);
    const named = [scheduler.run(1, ['/in/b.tif']), scheduler.run(1, ['/in/c.tif', '/in/b.tif'])];
    await sleep(5);
    release();
    await Promise.all([first, ...named]);
    expect(scopes).toEqual([['/in/a.tif'], ['/in/b.tif', '/in/c.tif']]);

    const third = scheduler.run(1, ['/in/d.tif']);
    const whole = [scheduler.run(1, ['/in/e.tif']), scheduler.run(1)];
    await sleep(5);
    release();
    await Promise.all([third, ...whole]);
    expect(scopes.slice(2)).toEqual([['/in/d.tif'], 'all']);
    await scheduler.stop();
  });

  it('wakes a folder for its settling files alone, without listing it', async () => {
    const scopes: Array<string[] | 'all'> = [];
    const scheduler = new PassScheduler(async (_id, changed) => {
      scopes.push(seen(changed));
      return scopes.length === 1 ? Date.now() + 10 : null;
    });
    await scheduler.run(3);
    await sleep(60);
    expect(scopes).toEqual(['all', []]);
    await scheduler.stop();
  });

  it('wakes a folder when its pass asks to, and not after stop', async () => {
    const ran: number[] = [];
    const scheduler = new PassScheduler(async () => {
      ran.push(Date.now());
      return ran.length < 3 ? Date.now() + 30 : null;
    });
    await scheduler.run(7);
    await sleep(150);
    expect(ran).toHaveLength(3);
    expect(ran[2]! - ran[0]!).toBeGreaterThanOrEqual(55);

    const stopped = new PassScheduler(async () => {
      ran.push(Date.now());
      return Date.now() + 10;
    });
    await stopped.run(1);
    await stopped.stop();
    await sleep(50);
    expect(ran).toHaveLength(4);
    await stopped.run(1);
    expect(ran).toHaveLength(4);
  });
});
