import { describe, expect, it } from 'vitest';
import { toEngine } from './protocol.js';

describe('the start message from the main process', () => {
  it('carries the path of the Electron build of better-sqlite3 through validation to the engine', () => {
    const addon = '/opt/MetaScope/resources/native/better_sqlite3.node';
    const parsed = toEngine.parse({
      type: 'start',
      options: { database: '/data/metascope.db', mode: 'desktop', sqliteAddon: addon },
    });
    expect(parsed).toMatchObject({ type: 'start', options: { sqliteAddon: addon } });
  });

  it('leaves it out where the main process names none (better-sqlite3 then loads its default build)', () => {
    const parsed = toEngine.parse({
      type: 'start',
      options: { database: '/data/metascope.db', mode: 'desktop' },
    });
    expect(parsed).toMatchObject({ type: 'start', options: { database: '/data/metascope.db' } });
    expect(parsed.type === 'start' && 'sqliteAddon' in parsed.options).toBe(false);
    expect(() =>
      toEngine.parse({
        type: 'start',
        options: { database: '/data/metascope.db', mode: 'desktop', sqliteAddon: '' },
      }),
    ).toThrow();
  });
});
