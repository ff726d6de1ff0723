import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EngineHandlers } from '../contract/api.js';
import type { EventMessage } from '../contract/messages.js';
import { captureDetail } from './testing/capture-detail.js';
import { whereTheLogIs } from '../core/log-file.js';
import { describeStartFailure, EngineHost, type HostedEngine, type HostPort } from './host.js';
import type { FromEngine } from './protocol.js';

class FakePort implements HostPort {
  sent: unknown[] = [];
  closed = false;
  private listener: ((data: unknown) => void) | null = null;
  private closeListener: (() => void) | null = null;
  postMessage(message: unknown) {
    this.sent.push(message);
  }
  onMessage(listener: (data: unknown) => void) {
    this.listener = listener;
  }
  onClose(listener: () => void) {
    this.closeListener = listener;
  }
  start() {}
  close() {
    this.closed = true;
    this.closeListener?.();
  }
  receive(data: unknown) {
    this.listener?.(data);
  }
}

const sha = (c: string) => c.repeat(64);
const flush = () => new Promise((resolve) => setTimeout(resolve, 20));

function fakeEngine(roots: string[], captures: Record<string, string[]> = {}) {
  const listeners = new Set<(message: EventMessage) => void>();
  let release: () => void = () => {};
  const slow = new Promise<void>((resolve) => (release = resolve));
  const handlers = {
    'folders.list': async () => [],
    'pipeline.pause': async () => {
      await slow;
      return { queued: 0, inFlight: 0, done: 0, failed: 0, rate: 0, etaSeconds: null, paused: true };
    },
    'captures.get': async ({ sha256 }: { sha256: string }) => {
      const paths = captures[sha256];
      if (!paths)
        throw Object.assign(new Error('This capture is not in the database.'), { code: 'not-found' });
      return captureDetail(sha256, paths);
    },
  } as unknown as EngineHandlers;
  const engine = {
    handlers,
    onEvent: (listener: (message: EventMessage) => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    renderImage: vi.fn(async () => ({
      body: Buffer.from('png-bytes'),
      mime: 'image/png',
      window: { low: 0, high: 255 },
    })),
    allowedRoots: () => roots,
    close: vi.fn(async () => {}),
  } satisfies HostedEngine;
  return { engine, emit: (m: EventMessage) => listeners.forEach((l) => l(m)), releaseSlow: () => release() };
}

function makeHost(open: () => Promise<HostedEngine>) {
  const posted: FromEngine[] = [];
  const exit = vi.fn();
  const logged: string[] = [];
  const host = new EngineHost({ open, post: (m) => posted.push(m), exit, log: (m) => logged.push(m) });
  return { host, posted, exit, logged };
}

const startMessage = {
  type: 'start',
  options: { database: '/tmp/x.db', mode: 'desktop' },
  shellRequests: ['folders.pick'],
};
const request = (id: number, name: string, input: unknown = {}) => ({ kind: 'request', id, name, input });

let base: string;
let root: string;
beforeAll(() => {
  base = mkdtempSync(path.join(tmpdir(), 'metascope-host-'));
  root = path.join(base, 'watched');
  mkdirSync(root);
  mkdirSync(path.join(base, 'outside'));
  writeFileSync(path.join(root, 'cell.png'), 'x');
  writeFileSync(path.join(base, 'outside', 'secret.png'), 'x');
  symlinkSync(path.join(base, 'outside', 'secret.png'), path.join(root, 'link.png'));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('EngineHost', () => {
  it('opens the engine, says ready, and answers a window over its port', async () => {
    const { engine } = fakeEngine([root]);
    const { host, posted } = makeHost(async () => engine);
    host.handleParentMessage(startMessage, []);
    const port = new FakePort();
    host.handleParentMessage({ type: 'connect', windowId: 1 }, [port]);
    port.receive(request(1, 'folders.list'));
    await flush();
    expect(posted).toContainEqual({ type: 'ready' });
    expect(port.sent).toEqual([{ kind: 'response', id: 1, ok: true, output: [] }]);
  });

  it('holds requests that arrive while the engine is still opening', async () => {
    const { engine } = fakeEngine([root]);
    let open!: () => void;
    const opening = new Promise<void>((resolve) => (open = resolve));
    const { host } = makeHost(async () => {
      await opening;
      return engine;
    });
    const port = new FakePort();
    host.handleParentMessage({ type: 'connect', windowId: 1 }, [port]);
    host.handleParentMessage(startMessage, []);
    port.receive(request(5, 'folders.list'));
    await flush();
    expect(port.sent).toEqual([]);
    open();
    await flush();
    expect(port.sent).toEqual([{ kind: 'response', id: 5, ok: true, output: [] }]);
  });

  it('answers malformed requests with a typed error, and ignores ones without an id', async () => {
    const { engine } = fakeEngine([root]);
    const { host } = makeHost(async () => engine);
    host.handleParentMessage(startMessage, []);
    const port = new FakePort();
    host.handleParentMessage({ type: 'connect', windowId: 1 }, [port]);
    port.receive({ kind: 'request', id: 3, name: 'no.such.call', input: {} });
    port.receive({ kind: 'request', name: 'folders.list' });
    port.receive('garbage');
    await flush();
    expect(port.sent).toEqual([
      expect.objectContaining({
        kind: 'response',
        id: 3,
        ok: false,
        error: expect.objectContaining({ code: 'bad-request' }),
      }),
    ]);
  });

  it('sends engine events to every connected window', async () => {
    const { engine, emit } = fakeEngine([root]);
    const { host } = makeHost(async () => engine);
    host.handleParentMessage(startMessage, []);
    const a = new FakePort();
    const b = new FakePort();
    host.handleParentMessage({ type: 'connect', windowId: 1 }, [a]);
    host.handleParentMessage({ type: 'connect', windowId: 2 }, [b]);
    await flush();
    const event = { kind: 'event', name: 'progress', payload: {} } as EventMessage;
    emit(event);
    expect(a.sent).toEqual([event]);
    expect(b.sent).toEqual([event]);
  });

  it('replaces a window port on reconnect and drops answers meant for the old one', async () => {
    const { engine, releaseSlow } = fakeEngine([root]);
    const { host } = makeHost(async () => engine);
    host.handleParentMessage(startMessage, []);
    const old = new FakePort();
    host.handleParentMessage({ type: 'connect', windowId: 1 }, [old]);
    old.receive(request(1, 'pipeline.pause'));
    await flush();
    const fresh = new FakePort();
    host.handleParentMessage({ type: 'connect', windowId: 1 }, [fresh]);
    releaseSlow();
    await flush();
    expect(old.closed).toBe(true);
    expect(old.sent).toEqual([]);
    expect(fresh.sent).toEqual([]);
    expect(host.connectedWindows).toEqual([1]);
    host.handleParentMessage({ type: 'disconnect', windowId: 1 }, []);
    expect(fresh.closed).toBe(true);
    expect(host.connectedWindows).toEqual([]);
  });

  it('forwards shell requests (native dialogs) to the main process and relays the answer', async () => {
    const { engine } = fakeEngine([root]);
    const { host, posted } = makeHost(async () => engine);
    host.handleParentMessage(startMessage, []);
    const port = new FakePort();
    host.handleParentMessage({ type: 'connect', windowId: 4 }, [port]);
    port.receive(request(7, 'folders.pick', { title: 'Pick' }));
    await flush();
    expect(posted).toContainEqual({
      type: 'shell-request',
      windowId: 4,
      message: request(7, 'folders.pick', { title: 'Pick' }),
    });
    const response = { kind: 'response', id: 7, ok: true, output: { path: '/data' } };
    host.handleParentMessage({ type: 'shell-response', windowId: 4, response }, []);
    expect(port.sent).toEqual([response]);
  });

  it('when the engine cannot open, says why and where the log is, and answers every request with that reason', async () => {
    const { host, posted, logged } = makeHost(async () => {
      throw new Error('database is locked\nwhile opening /data/metascope.db');
    });
    host.handleParentMessage(startMessage, []);
    const port = new FakePort();
    host.handleParentMessage({ type: 'connect', windowId: 1 }, [port]);
    port.receive(request(2, 'folders.list'));
    await flush();
    const reason = `The engine could not start: database is locked. ${whereTheLogIs()}`;
    expect(posted).toContainEqual({ type: 'failed', message: reason });
    expect(port.sent).toEqual([
      { kind: 'response', id: 2, ok: false, error: { code: 'engine-unavailable', message: reason } },
    ]);
    // The log keeps what the notice leaves out: the rest of the message and where it came from.
    expect(logged).toEqual([expect.stringMatching(/while opening \/data\/metascope\.db\n\s+at /)]);
  });

  it('explains a native module built for the wrong Node.js in words a person can act on, without a terminal', () => {
    const message = describeStartFailure(
      new Error(
        "The module 'better_sqlite3.node' was compiled against a different Node.js version using NODE_MODULE_VERSION 115.",
      ),
      whereTheLogIs('/data/logs'),
    );
    expect(message).toMatch(
      /^This copy of MetaScope has a part built for another version .* Install MetaScope again/,
    );
    expect(message).toContain('Help > Show Log File');
    expect(message).toContain('/data/logs');
    expect(message).not.toMatch(/install-app-deps|NODE_MODULE_VERSION/);
  });

  it('ignores malformed control messages and closes the ports they carried', () => {
    const { host } = makeHost(async () => fakeEngine([root]).engine);
    const port = new FakePort();
    host.handleParentMessage({ type: 'connect', windowId: -1 }, [port]);
    host.handleParentMessage({ type: 'explode' }, []);
    host.handleParentMessage(null, []);
    expect(port.closed).toBe(true);
    expect(host.connectedWindows).toEqual([]);
  });

  describe('renditions for the image protocol', () => {
    async function render(captures: Record<string, string[]>, which: string) {
      const fake = fakeEngine([root], captures);
      const { host, posted } = makeHost(async () => fake.engine);
      host.handleParentMessage(startMessage, []);
      host.handleParentMessage(
        { type: 'render', id: 9, sha256: which, request: { size: 256, format: 'png' } },
        [],
      );
      // The answer comes after real file checks: wait for it, not for a fixed time (a busy machine is slow).
      await vi.waitFor(() => expect(posted.some((m) => m.type === 'rendered')).toBe(true), { timeout: 5000 });
      return { posted: posted.filter((m) => m.type === 'rendered'), renderImage: fake.engine.renderImage };
    }

    it('renders a capture whose files are inside the watched folders', async () => {
      const { posted, renderImage } = await render({ [sha('a')]: [path.join(root, 'cell.png')] }, sha('a'));
      expect(renderImage).toHaveBeenCalledWith(sha('a'), { size: 256, format: 'png' });
      expect(posted).toEqual([
        {
          type: 'rendered',
          id: 9,
          ok: true,
          body: expect.any(Uint8Array),
          mime: 'image/png',
          window: { low: 0, high: 255 },
        },
      ]);
    });

    it('refuses a capture with a file outside the watched folders, or a symlink out', async () => {
      for (const file of [path.join(base, 'outside', 'secret.png'), path.join(root, 'link.png')]) {
        const { posted, renderImage } = await render(
          { [sha('b')]: [path.join(root, 'cell.png'), file] },
          sha('b'),
        );
        expect(renderImage).not.toHaveBeenCalled();
        expect(posted).toEqual([
          {
            type: 'rendered',
            id: 9,
            ok: false,
            error: { code: 'forbidden', message: expect.stringMatching(/outside/) },
          },
        ]);
      }
    });

    it('lets the engine answer for a capture whose files are gone (it may have a cached rendition)', async () => {
      const { renderImage } = await render({ [sha('c')]: [path.join(root, 'gone.png')] }, sha('c'));
      expect(renderImage).toHaveBeenCalled();
    });

    it('passes the engine error on for an unknown capture', async () => {
      const { posted } = await render({}, sha('d'));
      expect(posted).toEqual([
        {
          type: 'rendered',
          id: 9,
          ok: false,
          error: { code: 'not-found', message: 'This capture is not in the database.' },
        },
      ]);
    });
  });

  it('on shutdown finishes requests in flight, refuses new ones, closes the engine and exits 0', async () => {
    const { engine, releaseSlow } = fakeEngine([root]);
    const { host, posted, exit } = makeHost(async () => engine);
    host.handleParentMessage(startMessage, []);
    const port = new FakePort();
    host.handleParentMessage({ type: 'connect', windowId: 1 }, [port]);
    port.receive(request(1, 'pipeline.pause'));
    await flush();
    host.handleParentMessage({ type: 'shutdown' }, []);
    port.receive(request(2, 'folders.list'));
    await flush();
    expect(engine.close).not.toHaveBeenCalled();
    expect(port.sent).toEqual([
      {
        kind: 'response',
        id: 2,
        ok: false,
        error: { code: 'shutting-down', message: 'MetaScope is closing.' },
      },
    ]);
    releaseSlow();
    await flush();
    expect(port.sent[1]).toMatchObject({ kind: 'response', id: 1, ok: true });
    expect(engine.close).toHaveBeenCalledOnce();
    expect(posted.at(-1)).toEqual({ type: 'closed' });
    expect(exit).toHaveBeenCalledWith(0);
    expect(port.closed).toBe(true);
  });

  it('shuts down cleanly even if it was never started', async () => {
    const { host, posted, exit } = makeHost(async () => fakeEngine([root]).engine);
    await host.shutdown();
    expect(posted).toEqual([{ type: 'closed' }]);
    expect(exit).toHaveBeenCalledWith(0);
  });
});
