import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { beforeEach, describe, expect, it } from 'vitest';
import { appFiles } from '../main/app-files.js';
import { channels } from '../main/channels.js';

/**
 * The built preload (what the main process hands Electron, from `npm run build:node`, which
 * `npm install` runs) is run the way Electron runs a sandboxed preload: its text wrapped in a
 * function that receives a small `require`, `process`, `exports` and `module`, in a fresh context
 * without Node's globals. A SyntaxError (an ES module) or any require other than `electron`
 * fails here as it would in the app.
 */
const source = fileURLToPath(new URL('./sandboxed/index.ts', import.meta.url));
const built = appFiles(fileURLToPath(new URL('../../dist/electron/main/', import.meta.url))).preload;
if (!existsSync(built) || statSync(built).mtimeMs < statSync(source).mtimeMs) {
  throw new Error(
    `The built preload (${built}) is missing or older than its source: run \`npm run build:node\` so this test runs what Electron loads.`,
  );
}
const compiled = readFileSync(built, 'utf8');

class FakePort {
  sent: unknown[] = [];
  closed = false;
  started = false;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  postMessage(message: unknown) {
    this.sent.push(message);
  }
  start() {
    this.started = true;
  }
  close() {
    this.closed = true;
  }
  answer(data: unknown) {
    this.onmessage?.({ data });
  }
}

interface Exposed {
  send(message: unknown): void;
  receive(handler: (message: unknown) => void): void;
  pathForFile(file: unknown): string;
}

function loadPreload() {
  const listeners = new Map<string, (event: unknown, ...args: unknown[]) => void>();
  const sentToMain: string[] = [];
  const exposed = new Map<string, unknown>();
  const required: string[] = [];
  const electron = {
    ipcRenderer: {
      on: (channel: string, listener: (event: unknown, ...args: unknown[]) => void) =>
        listeners.set(channel, listener),
      send: (channel: string) => sentToMain.push(channel),
    },
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.set(key, api) },
    webUtils: {
      getPathForFile: (file: { path?: string }) => {
        if (!file.path) throw new Error('not a File');
        return file.path;
      },
    },
  };
  const sandboxRequire = (name: string) => {
    required.push(name);
    if (name === 'electron') return electron;
    throw new Error(`module not found: ${name}`);
  };
  const wrapper = vm.runInNewContext(
    `(function (require, process, Buffer, global, setImmediate, clearImmediate, exports, module) {${compiled}\n})`,
    {},
  );
  const module = { exports: {} };
  wrapper(
    sandboxRequire,
    { type: 'renderer' },
    undefined,
    {},
    setImmediate,
    clearImmediate,
    module.exports,
    module,
  );
  const api = exposed.get('metascope') as Exposed;
  const received: unknown[] = [];
  api.receive((message) => received.push(message));
  const deliverPort = (port: FakePort) => listeners.get(channels.port)?.({ ports: [port] });
  return { api, received, listeners, sentToMain, exposed, required, deliverPort };
}

const request = (id: number) => ({ kind: 'request', id, name: 'app.status', input: {} });

describe('preload, loaded as Electron loads a sandboxed preload', () => {
  let preload: ReturnType<typeof loadPreload>;
  beforeEach(() => {
    preload = loadPreload();
  });

  it('requires only electron and exposes only window.metascope = { send, receive, pathForFile }', () => {
    expect(preload.required).toEqual(['electron']);
    expect([...preload.exposed.keys()]).toEqual(['metascope']);
    expect(Object.keys(preload.api).sort()).toEqual(['pathForFile', 'receive', 'send']);
  });

  it('asks the main process for a port, on the channels main listens to', () => {
    expect(preload.sentToMain).toEqual([channels.connect]);
    expect([...preload.listeners.keys()].sort()).toEqual(
      [channels.disconnected, channels.event, channels.port].sort(),
    );
  });

  it('queues requests until the port arrives, then relays both ways', () => {
    preload.api.send(request(1));
    const port = new FakePort();
    preload.deliverPort(port);
    expect(port.started).toBe(true);
    expect(port.sent).toEqual([request(1)]);
    port.answer({ kind: 'response', id: 1, ok: true, output: {} });
    port.answer({ kind: 'event', name: 'progress', payload: {} });
    expect(preload.received).toEqual([
      { kind: 'response', id: 1, ok: true, output: {} },
      { kind: 'event', name: 'progress', payload: {} },
    ]);
  });

  it('fails requests left unanswered when the engine restarts, and uses the new port', () => {
    const first = new FakePort();
    preload.deliverPort(first);
    preload.api.send(request(1));
    preload.api.send(request(2));
    first.answer({ kind: 'response', id: 1, ok: true, output: {} });
    const second = new FakePort();
    preload.deliverPort(second);
    expect(first.closed).toBe(true);
    expect(preload.received).toContainEqual(
      expect.objectContaining({
        kind: 'response',
        id: 2,
        ok: false,
        error: expect.objectContaining({ code: 'disconnected' }),
      }),
    );
    expect(preload.received.filter((m) => (m as { id?: number }).id === 1)).toHaveLength(1);
    preload.api.send(request(3));
    expect(second.sent).toEqual([request(3)]);
  });

  it('after a final disconnect, answers every request at once with the reason', () => {
    preload.deliverPort(new FakePort());
    preload.listeners.get(channels.disconnected)?.({}, { message: 'The engine gave up.', final: true });
    preload.api.send(request(9));
    expect(preload.received).toContainEqual({
      kind: 'response',
      id: 9,
      ok: false,
      error: { code: 'disconnected', message: 'The engine gave up.' },
    });
  });

  it('passes main-process events (notices) to the page', () => {
    const notice = {
      kind: 'event',
      name: 'notice',
      payload: { level: 'warning', message: 'restarting', at: 'now' },
    };
    preload.listeners.get(channels.event)?.({}, notice);
    expect(preload.received).toEqual([notice]);
  });

  it('keeps delivering when a page handler throws', () => {
    preload.api.receive(() => {
      throw new Error('page bug');
    });
    const port = new FakePort();
    preload.deliverPort(port);
    port.answer({ kind: 'event', name: 'progress', payload: {} });
    expect(preload.received).toHaveLength(1);
  });

  it('gives the path of a dropped file, and an empty string for anything else', () => {
    expect(preload.api.pathForFile({ path: '/data/cell.tif' })).toBe('/data/cell.tif');
    expect(preload.api.pathForFile({})).toBe('');
  });
});

describe('built preload', () => {
  it('names the same channels as the main process', () => {
    for (const [key, value] of Object.entries(channels)) expect(compiled).toContain(`${key}: '${value}'`);
  });

  it('is a script, not an ES module: no import or export statement', () => {
    expect(
      () => new vm.Script(`(function (require, process, exports, module) {${compiled}\n})`),
    ).not.toThrow();
    expect(compiled).not.toMatch(/^\s*(import|export)\s/m);
  });
});
