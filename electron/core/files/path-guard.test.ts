import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  isInside,
  lexicalProblem,
  lexicalTarget,
  readAllowedFile,
  resolveAllowedFile,
  type PathGuardOptions,
} from './path-guard.js';

const posix = process.platform !== 'win32';
let base: string;
let root: string;
let options: PathGuardOptions;
const at = (...parts: string[]) => path.join(root, ...parts);

beforeAll(() => {
  base = mkdtempSync(path.join(tmpdir(), 'metascope-guard-'));
  root = path.join(base, 'watched');
  mkdirSync(path.join(root, 'sub'), { recursive: true });
  mkdirSync(path.join(base, 'outside'));
  mkdirSync(path.join(base, 'watched-sibling'));
  writeFileSync(at('cell.png'), 'png');
  writeFileSync(at('sub', 'deep.tif'), 'tif');
  writeFileSync(at('notes.txt'), 'text');
  writeFileSync(at('50%2e.png'), 'odd but legal name');
  writeFileSync(path.join(base, 'outside', 'secret.png'), 'secret');
  writeFileSync(path.join(base, 'outside', 'passwd'), 'root:x:0:0');
  writeFileSync(path.join(base, 'watched-sibling', 'x.png'), 'sibling');
  mkdirSync(at('folder.png'));
  // Symlinks: out of the root, to a non-image inside it, and a harmless one inside it.
  symlinkSync(path.join(base, 'outside', 'secret.png'), at('link-out.png'));
  symlinkSync(path.join(base, 'outside'), at('dir-out'));
  symlinkSync(at('notes.txt'), at('link-to-text.png'));
  symlinkSync(at('cell.png'), at('link-in.png'));
  symlinkSync(path.join(base, 'nowhere.png'), at('dangling.png'));
  if (posix) {
    symlinkSync('/dev/zero', at('zero.png'));
    try {
      execFileSync('mkfifo', [at('pipe.png')]);
    } catch {
      // no mkfifo: that case is skipped below
    }
  }
  options = { roots: [root], extensions: ['.png', '.tif'] };
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

async function refused(candidate: unknown, extra: Partial<PathGuardOptions> = {}): Promise<string> {
  const result = await resolveAllowedFile(candidate, { ...options, ...extra });
  expect(result.ok, `expected ${String(candidate)} to be refused`).toBe(false);
  return result.ok ? '' : result.reason;
}

describe('path guard: files that may be served', () => {
  it('resolves a regular file with an allowed extension inside a root', async () => {
    expect(await resolveAllowedFile(at('cell.png'), options)).toMatchObject({ ok: true, size: 3 });
    expect(await resolveAllowedFile(at('sub', 'deep.tif'), options)).toMatchObject({ ok: true });
  });

  it('resolves a relative path against a base inside the root', async () => {
    expect(await resolveAllowedFile('sub/deep.tif', { ...options, base: root })).toMatchObject({ ok: true });
  });

  it('follows a symlink that stays inside the root, and reports the real file', async () => {
    const result = await resolveAllowedFile(at('link-in.png'), options);
    expect(result).toMatchObject({ ok: true });
    if (result.ok) expect(path.basename(result.path)).toBe('cell.png');
  });

  it('serves a file whose name merely contains an encoded dot', async () => {
    expect(await resolveAllowedFile(at('50%2e.png'), options)).toMatchObject({ ok: true });
  });

  it('reads the bytes of an allowed file', async () => {
    const read = await readAllowedFile(at('cell.png'), { ...options, maxBytes: 1000 });
    expect(read.ok && read.bytes.toString()).toBe('png');
  });
});

describe('path guard: hostile requests', () => {
  it('refuses `..` in every spelling, even when it would land back inside', async () => {
    for (const candidate of [
      '../outside/secret.png',
      'sub/../../outside/secret.png',
      'sub/../cell.png',
      '..\\outside\\secret.png',
      '%2e%2e/outside/secret.png',
      '%2E%2E%2Foutside%2Fsecret.png',
      '%252e%252e/outside/secret.png',
      'sub/%2e%2e/%2e%2e/outside/secret.png',
      `${root}/../outside/secret.png`,
      `${root}/%2e%2e/outside/secret.png`,
    ]) {
      expect(await refused(candidate, { base: root })).toMatch(/climbs out/);
    }
  });

  it('refuses absolute paths outside every root, including a sibling with the same prefix', async () => {
    expect(await refused(path.join(base, 'outside', 'secret.png'))).toMatch(/outside the folders/);
    expect(await refused(path.join(base, 'watched-sibling', 'x.png'))).toMatch(/outside the folders/);
    if (posix) expect(await refused('/etc/passwd')).toMatch(/outside the folders/);
  });

  it('refuses symlinks that lead outside the root (file or folder)', async () => {
    expect(await refused(at('link-out.png'))).toMatch(/link to somewhere outside/);
    expect(await refused(at('dir-out', 'secret.png'))).toMatch(/link to somewhere outside/);
  });

  it('refuses a symlink with an image name that points at another kind of file', async () => {
    expect(await refused(at('link-to-text.png'))).toMatch(/type "\.txt"/);
  });

  it('refuses other extensions and files without one', async () => {
    expect(await refused(at('notes.txt'))).toMatch(/"\.txt" are not served/);
    expect(await refused(path.join(root, 'sub'))).toMatch(/"none"/);
  });

  it('refuses folders, missing files and dangling links', async () => {
    expect(await refused(at('folder.png'))).toMatch(/regular files/);
    expect(await refused(at('missing.png'))).toMatch(/does not exist/);
    expect(await refused(at('dangling.png'))).toMatch(/does not exist/);
  });

  it.skipIf(!posix)('refuses device files: /dev/zero directly and through a symlink', async () => {
    expect(await refused('/dev/zero', { roots: ['/dev'], extensions: [''] })).toMatch(/regular files/);
    expect(await refused(at('zero.png'))).toMatch(/outside the folders|link to somewhere outside/);
    // Even with /dev allowed as a root, a device is not a regular file.
    expect(await refused(at('zero.png'), { roots: [root, '/dev'], extensions: ['.png', ''] })).toMatch(
      /regular files/,
    );
  });

  it.skipIf(!posix)('refuses a FIFO (it would block a reader forever)', async () => {
    if (!existsSync(at('pipe.png'))) return;
    expect(await refused(at('pipe.png'))).toMatch(/regular files/);
  });

  it('refuses NUL bytes, empty, over-long and non-string requests', async () => {
    expect(await refused(`${at('cell.png')}\0.png`)).toMatch(/NUL/);
    expect(await refused(`${at('cell')}%00.png`)).toMatch(/NUL/);
    expect(await refused('')).toMatch(/No file/);
    expect(await refused(at('x'.repeat(5000) + '.png'))).toMatch(/too long/);
    expect(await refused(42)).toMatch(/No file/);
    expect(await refused(null)).toMatch(/No file/);
  });

  it('refuses a relative path without a base, and a base that is not absolute', async () => {
    expect(await refused('cell.png')).toMatch(/relative path needs a base/);
    expect(await refused('cell.png', { base: 'watched' })).toMatch(/relative path needs a base/);
  });

  it('serves nothing when no root exists', async () => {
    expect(await refused(at('cell.png'), { roots: [path.join(base, 'gone')] })).toMatch(/No folder/);
    expect(await refused(at('cell.png'), { roots: ['relative/root'] })).toMatch(/No folder/);
  });

  it('refuses Windows device and stream syntax', () => {
    expect(lexicalProblem('\\\\?\\C:\\secret.png')).toMatch(/device paths/);
    expect(lexicalProblem('//./pipe/x.png')).toMatch(/device paths/);
    expect(lexicalProblem('\\\\?\\UNC\\server\\share\\x.png', 'win32')).toMatch(/device paths/);
    expect(lexicalProblem('\\\\.\\PhysicalDrive0', 'win32')).toMatch(/device paths/);
    expect(lexicalProblem('C:\\watched\\cell.png:hidden', 'win32')).toMatch(/data streams/);
    expect(lexicalProblem('C:\\watched\\CON.png', 'win32')).toMatch(/device names/);
    expect(lexicalProblem('C:\\watched\\nul .png', 'win32')).toMatch(/device names/);
    expect(lexicalProblem('C:\\watched\\cell.png', 'win32')).toBeNull();
  });

  it('refuses an oversized file when reading', async () => {
    expect(await readAllowedFile(at('cell.png'), { ...options, maxBytes: 2 })).toMatchObject({ ok: false });
  });
});

describe('isInside', () => {
  it('compares whole segments, and folds case on Windows and macOS', () => {
    expect(isInside('/a/b', '/a/b/c.png', 'linux')).toBe(true);
    expect(isInside('/a/b', '/a/bc/d.png', 'linux')).toBe(false);
    expect(isInside('/a/b', '/a', 'linux')).toBe(false);
    expect(isInside('/a/b', '/a/b/..c.png', 'linux')).toBe(true);
    expect(isInside('C:\\Data', 'c:\\data\\x.png', 'win32')).toBe(true);
    expect(isInside('C:\\Data', 'D:\\Data\\x.png', 'win32')).toBe(false);
    expect(isInside('/Users/a', '/users/A/x.png', 'darwin')).toBe(true);
  });
});

describe('Windows network shares (path rules of win32, checked on any system)', () => {
  const share = '\\\\microscope-pc\\exports\\plate-7';
  const onShare = { roots: [share], extensions: ['.tif', '.png'] };
  const target = (candidate: string, options: Partial<PathGuardOptions> = {}) =>
    lexicalTarget(candidate, { ...onShare, ...options }, 'win32');

  it('serves a capture on a share inside a watched folder, in either slash and any case', () => {
    expect(target('\\\\microscope-pc\\exports\\plate-7\\A01\\field-1.tif')).toEqual({
      ok: true,
      path: '\\\\microscope-pc\\exports\\plate-7\\A01\\field-1.tif',
    });
    expect(target('//microscope-pc/exports/plate-7/A01/field-1.tif')).toMatchObject({ ok: true });
    expect(target('\\\\MICROSCOPE-PC\\Exports\\Plate-7\\b.PNG')).toMatchObject({ ok: true });
    expect(target('A01\\field-1.tif', { base: share })).toMatchObject({ ok: true });
  });

  it('refuses a share path outside the watched folder: another folder, share or server', () => {
    for (const candidate of [
      '\\\\microscope-pc\\exports\\plate-8\\field-1.tif',
      '\\\\microscope-pc\\exports\\plate-70\\field-1.tif',
      '\\\\microscope-pc\\admin$\\plate-7\\field-1.tif',
      '\\\\other-pc\\exports\\plate-7\\field-1.tif',
      'C:\\exports\\plate-7\\field-1.tif',
    ]) {
      expect(target(candidate), candidate).toEqual({
        ok: false,
        reason: 'The file is outside the folders MetaScope may show.',
      });
    }
    expect(target('\\\\microscope-pc\\exports\\plate-7\\..\\plate-8\\x.tif')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/climbs out/),
    });
  });

  it('refuses device paths even when they name the watched share', () => {
    for (const candidate of [
      '\\\\?\\UNC\\microscope-pc\\exports\\plate-7\\field-1.tif',
      '\\\\.\\UNC\\microscope-pc\\exports\\plate-7\\field-1.tif',
      '//?/UNC/microscope-pc/exports/plate-7/field-1.tif',
    ]) {
      expect(target(candidate), candidate).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/device paths/),
      });
    }
  });

  it('serves a drive-letter folder as before, and refuses streams and device names on a share', () => {
    expect(
      lexicalTarget('D:\\scope\\x.tif', { roots: ['D:\\scope'], extensions: ['.tif'] }, 'win32'),
    ).toMatchObject({
      ok: true,
    });
    expect(target(`${share}\\field-1.tif:hidden`)).toMatchObject({
      reason: expect.stringMatching(/data streams/),
    });
    expect(target(`${share}\\aux.tif`)).toMatchObject({ reason: expect.stringMatching(/device names/) });
  });
});
