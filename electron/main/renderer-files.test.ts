import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRendererFile, rendererPathOf } from './renderer-files.js';

let base: string;
let root: string;

beforeAll(() => {
  base = mkdtempSync(path.join(tmpdir(), 'metascope-renderer-'));
  root = path.join(base, 'renderer');
  mkdirSync(path.join(root, 'assets'), { recursive: true });
  writeFileSync(path.join(root, 'index.html'), '<!doctype html>');
  writeFileSync(path.join(root, 'assets', 'main.js'), 'console.log(1)');
  writeFileSync(path.join(root, 'assets', 'main.css'), 'body{}');
  writeFileSync(path.join(base, 'secret.js'), 'secret');
  symlinkSync(path.join(base, 'secret.js'), path.join(root, 'assets', 'linked.js'));
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
