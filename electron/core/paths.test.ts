import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { dataFolder, defaultDatabase, defaultInbox } from './paths.js';

afterEach(() => vi.unstubAllEnvs());

describe('folders named in the environment', () => {
  it('makes a relative METASCOPE_DATA absolute, from the folder MetaScope was started in', () => {
    vi.stubEnv('METASCOPE_DATA', path.join('lab', 'data'));
    expect(dataFolder()).toBe(path.join(process.cwd(), 'lab', 'data'));
    expect(path.isAbsolute(defaultDatabase())).toBe(true);
    expect(defaultDatabase()).toBe(path.join(process.cwd(), 'lab', 'data', 'metascope.db'));
  });

  it('keeps an absolute METASCOPE_DATA as it is', () => {
    const chosen = path.resolve(path.sep, 'srv', 'metascope');
    vi.stubEnv('METASCOPE_DATA', chosen);
    expect(dataFolder()).toBe(chosen);
  });

  it('uses the usual place when METASCOPE_DATA is empty or blank', () => {
    vi.stubEnv('METASCOPE_DATA', '  ');
    const usual = dataFolder();
    expect(path.isAbsolute(usual)).toBe(true);
    expect(path.basename(usual)).toBe('MetaScope');
  });

  it('makes a relative METASCOPE_INBOX absolute too, since the engine watches it from another process', () => {
    vi.stubEnv('METASCOPE_INBOX', 'inbox');
    expect(defaultInbox()).toBe(path.join(process.cwd(), 'inbox'));
  });
});
