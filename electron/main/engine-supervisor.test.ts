import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EngineHandlers } from '../contract/api.js';
import type { EventMessage, ResponseMessage } from '../contract/messages.js';
import { EngineHost, type HostedEngine, type HostPort } from '../engine-process/host.js';
import { captureDetail } from '../engine-process/testing/capture-detail.js';
import { channels } from './channels.js';

/**
 * The main process's side of the engine, with Electron replaced by in-memory stand-ins: the
 * utility process runs the real EngineHost (engine-process/host.ts) in this process, messages are
 * structured-cloned as Electron would, and MessageChannelMain is a pair of linked ports. So the
 * two halves of the control protocol are tested against each other, crash and restart included.
 */
const fake = vi.hoisted(() => ({
  children: [] as Array<import('node:events').EventEmitter & { killed: boolean }>,
  createChild: null as null | (() => import('node:events').EventEmitter & { killed: boolean }),
}));

vi.mock('electron', async () => {
  const { EventEmitter } = await import('node:events');
  class Port extends EventEmitter {
    other: Port | null = null;
    closed = false;
    postMessage(data: unknown) {
      const other = this.other;
      if (this.closed || !other || other.closed) return;
      const copy = structuredClone(data);
      setImmediate(() => other.emit('message', { data: copy, ports: [] }));
    }
    start() {}
    close() {
      if (this.closed) return;
      this.closed = true;
      this.emit('close');
      this.other?.close();
    }
  }
  class MessageChannelMain {
    port1 = new Port();
    port2 = new Port();
    constructor() {
      this.port1.other = this.port2;
      this.port2.other = this.port1;
    }
  }
  return {
    MessageChannelMain,
    utilityProcess: {
      fork: () => {
        const child = fake.createChild!();
        fake.children.push(child);
        return child;
      },
    },
  };
});

const { EngineSupervisor } = await import('./engine-supervisor.js');

type Port = EventEmitter & {
  postMessage(data: unknown): void;
  start(): void;
  close(): void;
  closed: boolean;
};
// Long enough for a round trip through the stand-in process on a busy machine.
const tick = () => new Promise((resolve) => setTimeout(resolve, 100));

/** A utility process whose inside is a real EngineHost over a fake engine. */
function makeChildFactory(open: () => Promise<HostedEngine>) {
  return () => {
    const child = Object.assign(new EventEmitter(), {
      killed: false,
      stdout: null,
      stderr: null,
      host: null as EngineHost | null,
      postMessage(message: unknown, ports: Port[] = []) {
        const copy = structuredClone(message);
        setImmediate(() => child.host?.handleParentMessage(copy, ports.map(adapt)));
      },
      kill() {
        child.killed = true;
        child.crash(137);
      },
      crash(code: number) {
        child.host = null;
        setImmediate(() => child.emit('exit', code));
      },
    });
    child.host = new EngineHost({
      open,
      post: (message) => setImmediate(() => child.emit('message', structuredClone(message))),
      exit: (code) => child.crash(code),
    });
    return child;
  };
}

function adapt(port: Port): HostPort {
  return {
    postMessage: (m) => port.postMessage(m),
    onMessage: (listener) => port.on('message', (event: { data: unknown }) => listener(event.data)),
    onClose: (listener) => port.on('close', listener),
    start: () => port.start(),
    close: () => port.close(),
  };
}

/** A window: records what main sends it, and keeps the renderer's end of its latest port. */
function makeWindow(id: number) {
  const contents = Object.assign(new EventEmitter(), {
    id,
    sent: [] as Array<{ channel: string; payload: unknown }>,
    ports: [] as Port[],
    received: [] as unknown[],
    destroyed: false,
    isDestroyed: () => contents.destroyed,
    send(channel: string, payload: unknown) {
      contents.sent.push({ channel, payload: structuredClone(payload) });
    },
    postMessage(channel: string, _message: unknown, ports: Port[]) {
      expect(channel).toBe(channels.port);
      const port = ports[0] as Port;
      port.on('message', (event: { data: unknown }) => contents.received.push(event.data));
      contents.ports.push(port);
    },
  });
  return contents;
}

let root: string;
beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'metascope-supervisor-'));
  writeFileSync(path.join(root, 'cell.png'), 'x');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function fakeEngine() {
  const listeners = new Set<(m: EventMessage) => void>();
  const engine = {
    handlers: {
      'folders.list': async () => [],
      'captures.get': async ({ sha256 }: { sha256: string }) =>
        captureDetail(sha256, [path.join(root, 'cell.png')]),
    } as unknown as EngineHandlers,
    onEvent: (listener: (m: EventMessage) => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    renderImage: vi.fn(async () => ({
      body: Buffer.from([1, 2, 3]),
      mime: 'image/png',
      window: { low: 1, high: 9 },
    })),
    allowedRoots: () => [root],
    close: vi.fn(async () => {}),
  } satisfies HostedEngine;
  return { engine, emit: (m: EventMessage) => listeners.forEach((l) => l(m)) };
}

function makeSupervisor(
  answerShellRequest: (windowId: number, message: unknown) => Promise<ResponseMessage | null> = async () =>
    null,
) {
  return new EngineSupervisor({
    entry: '/app/dist/electron/engine-process/index.js',
    start: { database: path.join(root, 'db.sqlite'), mode: 'desktop' },
    shellRequests: ['folders.pick'],
    answerShellRequest,
    policy: { maxRestarts: 2, windowMs: 60_000, delaysMs: [0] },
    renderTimeoutMs: 2_000,
    log: () => {},
  });
}

const notices = (window: ReturnType<typeof makeWindow>) =>
  window.sent
    .filter((s) => s.channel === channels.event)
    .map((s) => (s.payload as { payload: { level: string; message: string } }).payload);

describe('EngineSupervisor with the real EngineHost inside a stand-in utility process', () => {
  let engine: ReturnType<typeof fakeEngine>;
  beforeEach(() => {
    fake.children.length = 0;
    engine = fakeEngine();
    fake.createChild = makeChildFactory(async () => engine.engine);
  });

  it('gives a window its own port to the engine, which answers and sends events', async () => {
    const supervisor = makeSupervisor();
    supervisor.start();
    const window = makeWindow(1);
    supervisor.attach(window as never);
    await tick();
    window.ports[0]?.postMessage({ kind: 'request', id: 1, name: 'folders.list', input: {} });
    await tick();
    engine.emit({ kind: 'event', name: 'progress', payload: { queued: 0 } } as EventMessage);
    await tick();
    expect(window.received).toEqual([
      { kind: 'response', id: 1, ok: true, output: [] },
      { kind: 'event', name: 'progress', payload: { queued: 0 } },
    ]);
  });

  it('relays renditions for the image protocol', async () => {
    const supervisor = makeSupervisor();
    supervisor.start();
    const image = await supervisor.renderImage('a'.repeat(64), { size: 256, format: 'png' });
    expect([...image.body]).toEqual([1, 2, 3]);
    expect(image).toMatchObject({ mime: 'image/png', window: { low: 1, high: 9 } });
  });

  it('forwards shell requests to the main process and returns the answer on the same port', async () => {
    const answer = vi.fn(async () => ({
      kind: 'response' as const,
      id: 4,
      ok: true as const,
      output: { path: '/data' },
    }));
    const supervisor = makeSupervisor(answer);
    supervisor.start();
    const window = makeWindow(3);
    supervisor.attach(window as never);
    await tick();
    window.ports[0]?.postMessage({ kind: 'request', id: 4, name: 'folders.pick', input: {} });
    await tick();
    expect(answer).toHaveBeenCalledWith(3, { kind: 'request', id: 4, name: 'folders.pick', input: {} });
    expect(window.received).toEqual([{ kind: 'response', id: 4, ok: true, output: { path: '/data' } }]);
  });

  it('restarts a crashed engine, tells the window, and hands it a new port', async () => {
    const supervisor = makeSupervisor();
    supervisor.start();
    const window = makeWindow(1);
    supervisor.attach(window as never);
    window.emit('dom-ready');
    await tick();
    (fake.children[0] as unknown as { crash(code: number): void }).crash(1);
    await tick();
    await tick();
    expect(fake.children).toHaveLength(2);
    expect(window.sent).toContainEqual({
      channel: channels.disconnected,
      payload: expect.objectContaining({ final: false }),
    });
    expect(notices(window).map((n) => n.level)).toEqual(['warning', 'info']);
    expect(notices(window)[0]?.message).toMatch(/stopped unexpectedly \(exit code 1\).*restarted/);
    expect(window.ports).toHaveLength(2);
    window.ports[1]?.postMessage({ kind: 'request', id: 2, name: 'folders.list', input: {} });
    await tick();
    expect(window.received).toContainEqual({ kind: 'response', id: 2, ok: true, output: [] });
  });

  it('gives up after repeated crashes and says so for good', async () => {
    const supervisor = makeSupervisor();
    supervisor.start();
    const window = makeWindow(1);
    supervisor.attach(window as never);
    window.emit('dom-ready');
    for (let i = 0; i < 3; i++) {
      await tick();
      (fake.children.at(-1) as unknown as { crash(code: number): void }).crash(139);
      await tick();
    }
    await tick();
    expect(fake.children).toHaveLength(3);
    expect(window.sent.at(-2)).toEqual({
      channel: channels.disconnected,
      payload: expect.objectContaining({ final: true }),
    });
    expect(notices(window).at(-1)).toMatchObject({
      level: 'error',
      message: expect.stringMatching(
        /stopped 3 times within a minute.* If it keeps happening, Help > Show Log File/,
      ),
    });
    await expect(supervisor.renderImage('a'.repeat(64), { size: 64, format: 'png' })).rejects.toMatchObject({
      code: 'engine-unavailable',
    });
  });

  it('shows why the engine could not open', async () => {
    fake.createChild = makeChildFactory(async () => {
      throw new Error('database disk image is malformed');
    });
    const supervisor = makeSupervisor();
    supervisor.start();
    const window = makeWindow(1);
    supervisor.attach(window as never);
    window.emit('dom-ready');
    await vi.waitFor(() =>
      expect(notices(window)).toContainEqual(
        expect.objectContaining({
          level: 'error',
          message: expect.stringMatching(
            /^The engine could not start: database disk image is malformed\. Help > Show Log File/,
          ),
        }),
      ),
    );
  });

  it('holds a notice until the page has loaded, since the preload asks before the page listens', async () => {
    fake.createChild = makeChildFactory(async () => {
      throw new Error('database disk image is malformed');
    });
    const supervisor = makeSupervisor();
    supervisor.start();
    const loading = makeWindow(1);
    const loaded = makeWindow(2);
    supervisor.attach(loading as never);
    supervisor.attach(loaded as never);
    loaded.emit('dom-ready');
    const failure = expect.objectContaining({
      level: 'error',
      message: expect.stringMatching(
        /^The engine could not start: database disk image is malformed\. Help > Show Log File/,
      ),
    });
    await vi.waitFor(() => expect(notices(loaded)).toEqual([failure]));
    expect(notices(loading)).toEqual([]);
    loading.emit('dom-ready');
    expect(notices(loading)).toEqual([failure]);

    // A reload: the new page's preload asks again, and hears the problem once its page has loaded.
    supervisor.attach(loading as never);
    expect(notices(loading)).toHaveLength(1);
    loading.emit('dom-ready');
    expect(notices(loading)).toEqual([failure, failure]);
  });

  it('shuts the engine down cleanly: it closes the engine and exits, and no restart follows', async () => {
    const supervisor = makeSupervisor();
    supervisor.start();
    const window = makeWindow(1);
    supervisor.attach(window as never);
    window.emit('dom-ready');
    await tick();
    await supervisor.shutdown(2_000);
    expect(notices(window)).toEqual([
      expect.objectContaining({
        level: 'warning',
        message: expect.stringMatching(/^MetaScope is closing: .*\.$/),
      }),
    ]);
    expect(engine.engine.close).toHaveBeenCalledOnce();
    await tick();
    expect(fake.children).toHaveLength(1);
    expect(fake.children[0]?.killed).toBe(false);
  });
});
