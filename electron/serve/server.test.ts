import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { networkInterfaces, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ContractError, eventEnvelope, type EventMessage } from '../contract/messages.js';
import type { EngineHost } from './engine-host.js';
import { startServer, type RunningServer } from './server.js';

const sha = 'a'.repeat(64);

/** An engine that answers requests by echoing, fails at models.list, and knows one image. */
function fakeHost(): EngineHost & { emit(event: EventMessage): void; asked: string[] } {
  const listeners = new Set<(event: EventMessage) => void>();
  const asked: string[] = [];
  return {
    asked,
    async request(message) {
      asked.push(message.name);
      if (message.name === 'models.list') throw new Error('the model folder vanished');
      return { kind: 'response', id: message.id, ok: true, output: { echo: message.name } };
    },
    async image(sha256, request) {
      if (sha256 !== sha) throw new ContractError('not-found', 'No capture with that fingerprint.');
      return { body: Buffer.from(`png ${request.size}`), mime: 'image/png', window: { low: 3, high: 250 } };
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {},
    emit: (event) => listeners.forEach((listener) => listener(event)),
  };
}

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A raw request: the path goes out exactly as written, `..` and all. */
function get(
  port: number,
  rawPath: string,
  headers: Record<string, string> = {},
  host = '127.0.0.1',
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host, port, path: rawPath, headers: { Host: `127.0.0.1:${port}`, ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function openSocket(url: string, origin?: string, cookie?: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {
      ...(origin && { origin }),
      ...(cookie && { headers: { Cookie: cookie } }),
    });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

const nextMessage = (ws: WebSocket) =>
  new Promise<unknown>((resolve) => ws.once('message', (data) => resolve(JSON.parse(String(data)))));

describe('browser-mode server', () => {
  let folder: string;
  let server: RunningServer;
  const host = fakeHost();

  beforeAll(async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'metascope-serve-'));
    const root = path.join(folder, 'renderer');
    await mkdir(path.join(root, 'assets'), { recursive: true });
    await writeFile(path.join(root, 'index.html'), '<!doctype html><title>MetaScope</title>');
    await writeFile(path.join(root, 'assets', 'app.js'), 'console.log(1)');
    await writeFile(path.join(folder, 'secret.txt'), 'outside');
    await symlink(path.join(folder, 'secret.txt'), path.join(root, 'link.txt'));
    server = await startServer({ host, root });
  });
  afterAll(async () => {
    await server?.close();
    await rm(folder, { recursive: true, force: true });
  });

  it('listens on 127.0.0.1 only', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{43}$/);
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((address) => address && !address.internal && address.family === 'IPv4');
    for (const address of others) {
      await expect(get(server.port, '/', {}, address!.address)).rejects.toThrow(/ECONNREFUSED/);
    }
    await expect(get(server.port, '/', {}, '::1')).rejects.toThrow(/ECONNREFUSED|EADDRNOTAVAIL/);
  });

  it('refuses every request without the token', async () => {
    expect((await get(server.port, '/')).status).toBe(401);
    expect((await get(server.port, '/assets/app.js')).status).toBe(401);
    expect((await get(server.port, '/?token=wrong')).status).toBe(401);
    expect((await get(server.port, `/image/${sha}?size=64`)).status).toBe(401);
    expect((await get(server.port, '/', { Cookie: `metascope-token-${server.port}=nope` })).status).toBe(401);
  });

  it('serves the page with the token, with security headers, and lets its assets through by cookie', async () => {
    const page = await get(server.port, `/?token=${server.token}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('MetaScope');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    const cookie = page.headers['set-cookie']?.[0]?.split(';')[0] ?? '';
    expect(cookie).toContain(server.token);
    expect((await get(server.port, '/assets/app.js', { Cookie: cookie })).status).toBe(200);
  });

  it('refuses other host names', async () => {
    expect(
      (await get(server.port, `/?token=${server.token}`, { Host: `evil.example:${server.port}` })).status,
    ).toBe(403);
  });

  it('never serves anything outside its folder, nor lists folders', async () => {
    const token = `token=${server.token}`;
    for (const rawPath of [
      `/../secret.txt?${token}`,
      `/assets/../../secret.txt?${token}`,
      `/%2e%2e/secret.txt?${token}`,
      `/..%2fsecret.txt?${token}`,
      `/assets/..%2f..%2fsecret.txt?${token}`,
      `/..%5csecret.txt?${token}`,
      `/link.txt?${token}`,
      `/assets/?${token}`,
      `/assets?${token}`,
      `/%00index.html?${token}`,
    ]) {
      const reply = await get(server.port, rawPath);
      expect(reply.status, rawPath).toBe(404);
      expect(reply.body).not.toContain('outside');
    }
  });

  it('serves image renditions with the window used, and plain errors', async () => {
    const image = await get(server.port, `/image/${sha}?size=64&token=${server.token}`);
    expect(image.status).toBe(200);
    expect(image.headers['content-type']).toBe('image/png');
    expect(image.body).toBe('png 64');
    expect(image.headers['x-metascope-window-low']).toBe('3');
    expect((await get(server.port, `/image/${'b'.repeat(64)}?token=${server.token}`)).status).toBe(404);
    expect((await get(server.port, `/image/nothex?token=${server.token}`)).status).toBe(400);
    expect((await get(server.port, `/image/${sha}?low=9&token=${server.token}`)).status).toBe(400);
  });

  it('opens the socket only with the token and from its own origin', async () => {
    const base = `ws://127.0.0.1:${server.port}/api`;
    await expect(openSocket(base)).rejects.toThrow('401');
    await expect(openSocket(`${base}?token=wrong`)).rejects.toThrow('401');
    await expect(openSocket(`${base}?token=${server.token}`, 'http://evil.example')).rejects.toThrow('403');
    const ws = await openSocket(`${base}?token=${server.token}`, `http://127.0.0.1:${server.port}`);
    ws.close();
  });

  it('relays requests with their own ids, answers the shell itself and broadcasts events', async () => {
    const url = `ws://127.0.0.1:${server.port}/api?token=${server.token}`;
    const [a, b] = await Promise.all([openSocket(url), openSocket(url)]);
    a.send(JSON.stringify({ kind: 'request', id: 7, name: 'app.status', input: {} }));
    expect(await nextMessage(a)).toEqual({
      kind: 'response',
      id: 7,
      ok: true,
      output: { echo: 'app.status' },
    });
    a.send(JSON.stringify({ kind: 'request', id: 8, name: 'folders.pick', input: {} }));
    expect(await nextMessage(a)).toEqual({ kind: 'response', id: 8, ok: true, output: { path: null } });
    a.send(JSON.stringify({ kind: 'request', id: 9, name: 'no.such', input: {} }));
    expect(await nextMessage(a)).toMatchObject({ id: 9, ok: false, error: { code: 'bad-request' } });
    const notice = eventEnvelope('notice', { level: 'info', message: 'hello', at: new Date().toISOString() });
    const both = Promise.all([nextMessage(a), nextMessage(b)]);
    host.emit(notice);
    expect(await both).toEqual([notice, notice]);
    a.close();
    b.close();
  });

  it('refuses copying files by their path: only the desktop’s own dialogs and drops choose paths', async () => {
    const ws = await openSocket(`ws://127.0.0.1:${server.port}/api?token=${server.token}`);
    ws.send(
      JSON.stringify({
        kind: 'request',
        id: 3,
        name: 'captures.importPaths',
        input: { paths: ['/etc/hostname'] },
      }),
    );
    expect(await nextMessage(ws)).toEqual({
      kind: 'response',
      id: 3,
      ok: false,
      error: {
        code: 'desktop-only',
        message:
          'In the browser, MetaScope cannot copy files from where they lie: drag the captures onto the page instead.',
      },
    });
    expect(host.asked).not.toContain('captures.importPaths');
    ws.close();
  });

  it('answers a request the engine fails unexpectedly with its reason, and goes on', async () => {
    const ws = await openSocket(`ws://127.0.0.1:${server.port}/api?token=${server.token}`);
    ws.send(JSON.stringify({ kind: 'request', id: 4, name: 'models.list', input: {} }));
    expect(await nextMessage(ws)).toEqual({
      kind: 'response',
      id: 4,
      ok: false,
      error: {
        code: 'engine-error',
        message: 'MetaScope could not answer this request (the model folder vanished).',
      },
    });
    ws.send(JSON.stringify({ kind: 'request', id: 5, name: 'app.status', input: {} }));
    expect(await nextMessage(ws)).toMatchObject({ id: 5, ok: true });
    ws.close();
  });
});

describe('signing in with a one-time address', () => {
  let folder: string;
  let server: RunningServer;

  beforeAll(async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'metascope-sign-in-'));
    await writeFile(path.join(folder, 'index.html'), '<!doctype html><title>MetaScope</title>');
    server = await startServer({ host: fakeHost(), root: folder });
  });
  afterAll(async () => {
    await server?.close();
    await rm(folder, { recursive: true, force: true });
  });

  const pathOf = (url: string) => url.slice(`http://127.0.0.1:${server.port}`.length);

  it('carries a code, never the token, and lets a browser in once', async () => {
    const url = server.signInUrl();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?code=[\w-]{43}$/);
    expect(url).not.toContain(server.token);
    const first = await get(server.port, pathOf(url));
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/');
    const cookie = first.headers['set-cookie']?.[0]?.split(';')[0] ?? '';
    expect(cookie).toBe(`metascope-token-${server.port}=${server.token}`);
    expect((await get(server.port, '/', { Cookie: cookie })).status).toBe(200);
    expect((await get(server.port, `/image/${sha}?size=64`, { Cookie: cookie })).status).toBe(200);
    const ws = await openSocket(`ws://127.0.0.1:${server.port}/api`, undefined, cookie);
    ws.close();

    const again = await get(server.port, pathOf(url));
    expect(again.status).toBe(401);
    expect(again.headers['set-cookie']).toBeUndefined();
    expect(again.body).toBe(
      'This sign-in address has been used already: open the address shown in the window where MetaScope runs.',
    );
  });

  it('refuses a code it never gave', async () => {
    const reply = await get(server.port, `/?code=${'x'.repeat(43)}`);
    expect(reply.status).toBe(401);
    expect(reply.body).toContain('This sign-in address is not valid');
  });

  it('refuses a code after its lifetime', async () => {
    const shortLived = await startServer({ host: fakeHost(), root: folder, signInCodeMs: 1 });
    try {
      const url = shortLived.signInUrl();
      await new Promise((resolve) => setTimeout(resolve, 50));
      const reply = await get(shortLived.port, url.slice(`http://127.0.0.1:${shortLived.port}`.length));
      expect(reply.status).toBe(401);
      expect(reply.body).toBe(
        'This sign-in address has expired: open the address shown in the window where MetaScope runs.',
      );
    } finally {
      await shortLived.close();
    }
  });
});
