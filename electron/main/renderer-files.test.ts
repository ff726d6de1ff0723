import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readAllowedFile } from '../core/files/path-guard.js';
import { readRendererFile, rendererPathOf } from './renderer-files.js';

/**
 * Electron's fs inside app.asar, as its asar docs and lib/node/asar-fs-wrapper.ts describe it:
 * fs.stat returns made-up Stats (dev 1, a new inode on every call; only size and type are real) and
 * fs.open extracts the file to a temporary copy and opens that. fs.readFile and fs.realpath read
 * the archive in place; a real folder named app.asar stands in for the archive here.
 */
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const { tmpdir } = await import('node:os');
  const { join, sep } = await import('node:path');
  const inArchive = (p: unknown) => typeof p === 'string' && p.includes(`${sep}app.asar${sep}`);
  let nextInode = 0;
  const stat = (async (p: string, ...rest: []) => {
    const info = await real.stat(p, ...rest);
    if (!inArchive(p)) return info;
    return Object.assign(Object.create(Object.getPrototypeOf(info) as object) as object, info, {
      dev: 1,
      ino: ++nextInode,
    });
  }) as typeof real.stat;
  const open = (async (p: string, ...rest: [number]) => {
    if (!inArchive(p)) return real.open(p, ...rest);
    const copy = join(await real.mkdtemp(join(tmpdir(), 'asar-copy-')), 'file');
    await real.copyFile(p, copy);
    return real.open(copy, ...rest);
  }) as typeof real.open;
  return { ...real, default: { ...real, stat, open }, stat, open };
});

let base: string;
let root: string;
let archived: string;

beforeAll(() => {
  base = mkdtempSync(path.join(tmpdir(), 'metascope-renderer-'));
  root = path.join(base, 'renderer');
  mkdirSync(path.join(root, 'assets'), { recursive: true });
  writeFileSync(path.join(root, 'index.html'), '<!doctype html>');
  writeFileSync(path.join(root, 'assets', 'main.js'), 'console.log(1)');
  writeFileSync(path.join(root, 'assets', 'main.css'), 'body{}');
  writeFileSync(path.join(base, 'secret.js'), 'secret');
  symlinkSync(path.join(base, 'secret.js'), path.join(root, 'assets', 'linked.js'));
  archived = path.join(base, 'resources', 'app.asar', 'dist', 'renderer');
  mkdirSync(path.join(archived, 'assets'), { recursive: true });
  writeFileSync(path.join(archived, 'index.html'), '<!doctype html><title>MetaScope</title>');
  writeFileSync(path.join(archived, 'assets', 'main.js'), 'console.log(2)');
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('app:// serves the built renderer and nothing else', () => {
  it('serves the page for / and for extension-less routes', async () => {
    expect(rendererPathOf('app://metascope/')).toEqual({ ok: true, relative: 'index.html' });
    expect(rendererPathOf('app://metascope/history')).toEqual({ ok: true, relative: 'index.html' });
    const page = await readRendererFile(root, 'app://metascope/');
    expect(page).toMatchObject({ ok: true, type: 'text/html; charset=utf-8' });
  });

  it('serves assets with their types', async () => {
    expect(await readRendererFile(root, 'app://metascope/assets/main.js')).toMatchObject({
      ok: true,
      type: 'text/javascript; charset=utf-8',
    });
    expect(await readRendererFile(root, 'app://metascope/assets/main.css?v=1')).toMatchObject({
      ok: true,
      type: 'text/css; charset=utf-8',
    });
  });

  it('refuses traversal, encoded traversal, links out and other hosts', async () => {
    for (const url of [
      'app://metascope/%2e%2e/secret.js',
      'app://metascope/assets/%2E%2E%2F%2E%2E%2Fsecret.js',
      'app://metascope/assets/..%5c..%5csecret.js',
      'app://metascope/assets/%252e%252e/%252e%252e/secret.js',
      'app://metascope/assets/linked.js',
      'app://metascope/assets/missing.js',
      'app://other/index.html',
      'file:///etc/passwd',
      'app://metascope/%00.js',
    ]) {
      expect((await readRendererFile(root, url)).ok, url).toBe(false);
    }
  });
});

describe('app:// inside an installed app (the renderer in app.asar)', () => {
  it('serves the page and its assets although stat and open disagree there', async () => {
    const page = await readRendererFile(archived, 'app://metascope/');
    expect(page.ok && page.bytes.toString()).toBe('<!doctype html><title>MetaScope</title>');
    const script = await readRendererFile(archived, 'app://metascope/assets/main.js');
    expect(script).toMatchObject({ ok: true, type: 'text/javascript; charset=utf-8' });
    expect(script.ok && script.bytes.toString()).toBe('console.log(2)');
  });

  it('still refuses what is not part of the renderer', async () => {
    for (const url of ['app://metascope/%2e%2e/%2e%2e/secret.js', 'app://metascope/assets/missing.js']) {
      expect((await readRendererFile(archived, url)).ok, url).toBe(false);
    }
  });

  it('is why captures keep their own read: its descriptor check refuses an archived file', async () => {
    const read = await readAllowedFile(path.join(archived, 'index.html'), {
      roots: [archived],
      extensions: ['.html'],
      maxBytes: 1000,
    });
    expect(read).toEqual({ ok: false, reason: 'The file changed while it was being opened.' });
  });
});
