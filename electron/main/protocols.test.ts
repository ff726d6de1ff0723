import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ContractError } from '../contract/messages.js';

/**
 * The protocol handlers and session hardening as Electron would call them, with Electron's
 * registration functions replaced by recorders: real Request objects in, real Responses out.
 */
const recorded = vi.hoisted(() => ({
  handlers: new Map<string, (request: Request) => Promise<Response>>(),
  privileged: [] as unknown[],
  appListeners: new Map<string, (...args: unknown[]) => void>(),
}));

vi.mock('electron', () => ({
  protocol: {
    registerSchemesAsPrivileged: (schemes: unknown[]) => recorded.privileged.push(...schemes),
    handle: (scheme: string, handler: (request: Request) => Promise<Response>) =>
      recorded.handlers.set(scheme, handler),
  },
  app: {
    on: (event: string, listener: (...args: unknown[]) => void) => recorded.appListeners.set(event, listener),
  },
}));

const { handleProtocols, registerSchemes } = await import('./protocols.js');
const { guardWebContents, hardenSession } = await import('./security.js');

let base: string;
const sha = 'a'.repeat(64);
const renderImage = vi.fn(async (sha256: string) => {
  if (sha256 === 'b'.repeat(64))
    throw new ContractError('forbidden', 'cell.png: The file is outside the folders MetaScope may show.');
  if (sha256 === 'c'.repeat(64)) throw new ContractError('not-found', 'This capture is not in the database.');
  return { body: new Uint8Array([137, 80, 78, 71]), mime: 'image/png', window: { low: 12, high: 3400 } };
});

beforeAll(() => {
  base = mkdtempSync(path.join(tmpdir(), 'metascope-protocols-'));
  mkdirSync(path.join(base, 'renderer', 'assets'), { recursive: true });
  writeFileSync(path.join(base, 'renderer', 'index.html'), '<!doctype html><title>MetaScope</title>');
  writeFileSync(path.join(base, 'renderer', 'assets', 'app.js'), 'export {}');
  writeFileSync(path.join(base, 'secret.txt'), 'secret');
  registerSchemes();
  handleProtocols({ rendererRoot: path.join(base, 'renderer'), renderImage, log: () => {} });
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

const app = (url: string, init?: RequestInit) => recorded.handlers.get('app')!(new Request(url, init));
const image = (url: string, init?: RequestInit) =>
  recorded.handlers.get('metascope-image')!(new Request(url, init));

describe('scheme registration', () => {
  it('registers app: and metascope-image: as standard and secure, without bypassing CSP', () => {
    expect(recorded.privileged).toEqual([
      { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } },
      {
        scheme: 'metascope-image',
        privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true },
      },
    ]);
  });
});

describe('app://metascope', () => {
  it('serves the page with the CSP and nosniff headers', async () => {
    const response = await app('app://metascope/index.html');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toMatch(/^default-src 'none'; script-src 'self'/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.text()).toContain('<title>MetaScope</title>');
  });

  it('serves bundle files and nothing outside the bundle', async () => {
    expect((await app('app://metascope/assets/app.js')).status).toBe(200);
    // The URL parser may already fold %2e%2e away; either way the file outside is not served.
    expect([400, 404]).toContain((await app('app://metascope/%2e%2e/secret.txt')).status);
    expect([400, 404]).toContain((await app('app://metascope/assets/..%2f..%2fsecret.txt')).status);
    expect((await app('app://metascope/assets/missing.js')).status).toBe(404);
    expect((await app('app://other/index.html')).status).toBe(404);
  });

  it('answers only GET and HEAD', async () => {
    expect((await app('app://metascope/index.html', { method: 'POST', body: 'x' })).status).toBe(405);
    const head = await app('app://metascope/index.html', { method: 'HEAD' });
    expect(head.status).toBe(200);
  });
});

describe('metascope-image://capture', () => {
  it('returns the rendition with its window, readable from the app origin', async () => {
    const response = await image(`metascope-image://capture/${sha}?size=128&format=png`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(response.headers.get('x-metascope-window-low')).toBe('12');
    expect(response.headers.get('x-metascope-window-high')).toBe('3400');
    expect(response.headers.get('access-control-allow-origin')).toBe('app://metascope');
    expect(response.headers.get('access-control-expose-headers')).toMatch(/X-MetaScope-Window-Low/);
    expect([...new Uint8Array(await response.arrayBuffer())]).toEqual([137, 80, 78, 71]);
    expect(renderImage).toHaveBeenCalledWith(sha, { size: 128, format: 'png' });
  });

  it('maps engine refusals to HTTP statuses with the reason in words', async () => {
    const forbidden = await image(`metascope-image://capture/${'b'.repeat(64)}`);
    expect(forbidden.status).toBe(403);
    expect(await forbidden.text()).toMatch(/outside the folders/);
    expect((await image(`metascope-image://capture/${'c'.repeat(64)}`)).status).toBe(404);
  });

  it('refuses malformed addresses before anything reaches the engine', async () => {
    renderImage.mockClear();
    for (const url of [
      `metascope-image://capture/../../etc/passwd`,
      `metascope-image://capture/${sha}?size=99999`,
      `metascope-image://file/${sha}`,
    ]) {
      expect((await image(url)).status, url).toBeGreaterThanOrEqual(400);
    }
    expect(renderImage).not.toHaveBeenCalled();
  });
});

describe('session and webContents hardening', () => {
  function fakeSession() {
    const calls: Record<string, unknown> = {};
    const session = {
      webRequest: {
        onHeadersReceived: (listener: unknown) => (calls.headers = listener),
        onBeforeRequest: (filter: unknown, listener: unknown) => (calls.before = { filter, listener }),
      },
      setPermissionRequestHandler: (handler: unknown) => (calls.permissionRequest = handler),
      setPermissionCheckHandler: (handler: unknown) => (calls.permissionCheck = handler),
      setDevicePermissionHandler: (handler: unknown) => (calls.device = handler),
      setUSBProtectedClassesHandler: (handler: unknown) => (calls.usb = handler),
    };
    return { session, calls };
  }

  it('denies every permission and blocks every remote or file request', () => {
    const { session, calls } = fakeSession();
    hardenSession(session as never, () => {});
    const decide = vi.fn();
    (calls.permissionRequest as (c: unknown, p: string, cb: (ok: boolean) => void) => void)(
      {},
      'media',
      decide,
    );
    expect(decide).toHaveBeenCalledWith(false);
    expect((calls.permissionCheck as () => boolean)()).toBe(false);
    expect((calls.device as () => boolean)()).toBe(false);
    const before = calls.before as {
      filter: { urls: string[] };
      listener: (d: unknown, cb: (r: unknown) => void) => void;
    };
    expect(before.filter.urls).toEqual(
      expect.arrayContaining(['http://*/*', 'https://*/*', 'ws://*/*', 'file://*/*']),
    );
    const cancel = vi.fn();
    before.listener({ url: 'https://example.com/x.js' }, cancel);
    expect(cancel).toHaveBeenCalledWith({ cancel: true });
    const headers = vi.fn();
    (calls.headers as (d: unknown, cb: (r: unknown) => void) => void)(
      { responseHeaders: { 'content-security-policy': ['default-src *'] } },
      headers,
    );
    expect(headers.mock.calls[0]?.[0]).toMatchObject({
      responseHeaders: { 'Content-Security-Policy': [expect.stringMatching(/^default-src 'none'/)] },
    });
  });

  it('denies new windows, navigation, redirects and <webview> on every webContents', () => {
    const contents = Object.assign(new EventEmitter(), {
      openHandler: null as null | ((d: { url: string }) => unknown),
    });
    Object.assign(contents, {
      setWindowOpenHandler: (handler: (d: { url: string }) => unknown) => (contents.openHandler = handler),
    });
    guardWebContents(contents as never, () => {});
    expect(contents.openHandler?.({ url: 'https://example.com' })).toEqual({ action: 'deny' });
    for (const [event, args] of [
      ['will-navigate', ['https://example.com']],
      ['will-redirect', ['https://example.com']],
      ['will-attach-webview', []],
    ] as const) {
      const prevented = { preventDefault: vi.fn() };
      contents.emit(event, prevented, ...args);
      expect(prevented.preventDefault, event).toHaveBeenCalled();
    }
    const frame = { preventDefault: vi.fn(), url: 'https://example.com' };
    contents.emit('will-frame-navigate', frame);
    expect(frame.preventDefault).toHaveBeenCalled();
  });
});
