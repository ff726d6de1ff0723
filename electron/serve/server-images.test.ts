import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineWorld, flatCapture, sha256Of, type EngineWorld } from '../core/engine/testing/engine-world.js';
import type { EngineHost } from './engine-host.js';
import { startServer, type RunningServer } from './server.js';
import { startWorkerHost } from './worker-host.js';

/**
 * Browser mode's pictures of captures, end to end: the real engine in its worker thread, a watched
 * folder holding a capture and a symlink to a capture outside it, and HTTP requests for both. The
 * engine classifies what the link points at (intake follows links), but showing it would serve a
 * file from outside the watched folders, which the desktop app refuses too.
 */
let world: EngineWorld;
let host: EngineHost;
let server: RunningServer;
let inside: string;
let linked: string;

async function stored(sha256: string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (let id = 1; Date.now() < until; id++) {
    const response = await host.request({ kind: 'request', id, name: 'captures.get', input: { sha256 } });
    if (response.ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`The capture ${sha256.slice(0, 8)} was not classified in ${timeoutMs} ms.`);
}

const picture = (sha256: string) =>
  fetch(`http://127.0.0.1:${server.port}/image/${sha256}?size=64&format=png&token=${server.token}`);

beforeAll(async () => {
  world = await engineWorld();
  mkdirSync(world.inbox, { recursive: true });
  const outside = path.join(world.dir, 'outside');
  mkdirSync(outside);
  const secret = await flatCapture(200);
  writeFileSync(path.join(outside, 'secret.png'), secret);
  symlinkSync(path.join(outside, 'secret.png'), path.join(world.inbox, 'link.png'));
  linked = sha256Of(secret);
  inside = await world.drop('cell.png', 60);
  const renderer = path.join(world.dir, 'renderer');
  mkdirSync(renderer);
  writeFileSync(path.join(renderer, 'index.html'), '<!doctype html>');
  host = await startWorkerHost({
    database: world.database,
    inbox: world.inbox,
    mode: 'browser',
    modelFolder: world.model,
    settleMs: 100,
  });
  server = await startServer({ host, root: renderer });
  await Promise.all([stored(inside), stored(linked)]);
});

afterAll(async () => {
  await server?.close();
  await host?.close();
  await world?.cleanup();
});

describe('browser mode shows only captures inside the watched folders', () => {
  it('serves a capture inside the watched folder', async () => {
    const response = await picture(inside);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
  });

  it('refuses a capture reached through a symlink out of the watched folder', async () => {
    const response = await picture(linked);
    expect(response.status).toBe(403);
    expect(await response.text()).toBe(
      'link.png: The file is a link to somewhere outside the folders MetaScope may show.',
    );
  });

  it('refuses an image request outside the contract’s bounds before the engine sees it', async () => {
    const response = await fetch(
      `http://127.0.0.1:${server.port}/image/${inside}?size=99999&token=${server.token}`,
    );
    expect(response.status).toBe(400);
  });
});
