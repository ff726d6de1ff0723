/**
 * The preload: tiny and generic. It exposes `window.metascope` = { send, receive, pathForFile }
 * (the shape in electron/contract/bridge.ts): send/receive over the MessagePort the main process
 * hands this window, pathForFile for files dropped onto it. Nothing else: no Node, no
 * ipcRenderer, no channel names reach the page.
 *
 * Sandboxed preloads run as a plain script with a small `require` (electron, events, timers, url)
 * and cannot load other files or be ES modules, so this folder compiles to CommonJS (its own
 * package.json) and this file imports nothing at run time but electron itself. Its test
 * (../preload.test.ts) runs it exactly that way. Messages are
 * validated by the engine (dispatch) and by the renderer's client, not here.
 */
import type { ContextBridge, IpcRenderer, IpcRendererEvent, WebUtils } from 'electron';
import type { MetascopeBridge } from '../../contract/bridge.js';

/** Must equal electron/main/channels.ts (a test checks); a sandboxed preload cannot import it. */
const channels = {
  connect: 'metascope:connect',
  port: 'metascope:port',
  event: 'metascope:event',
  disconnected: 'metascope:disconnected',
} as const;

interface RendererPort {
  postMessage(message: unknown): void;
  start(): void;
  close(): void;
  onmessage: ((event: { data: unknown }) => void) | null;
}

type Ipc = Pick<IpcRenderer, 'on' | 'send'>;
type Bridge = Pick<ContextBridge, 'exposeInMainWorld'>;
type Files = Pick<WebUtils, 'getPathForFile'>;

const maxQueued = 1000;

function idOf(message: unknown, kind: 'request' | 'response'): number | null {
  if (typeof message !== 'object' || message === null) return null;
  const { kind: k, id } = message as { kind?: unknown; id?: unknown };
  return k === kind && typeof id === 'number' ? id : null;
}

function installBridge(ipc: Ipc, bridge: Bridge, files: Files): void {
  let port: RendererPort | null = null;
  /** Set when the engine is gone for good: requests fail at once with this sentence. */
  let down: string | null = null;
  const queued: unknown[] = [];
  const pending = new Set<number>();
  const handlers: Array<(message: unknown) => void> = [];

  const deliver = (message: unknown): void => {
    for (const handler of handlers) {
      try {
        handler(message);
      } catch {
        // A failing page handler must not stop the others.
      }
    }
  };
  const fail = (id: number, message: string): void =>
    deliver({ kind: 'response', id, ok: false, error: { code: 'disconnected', message } });
  const failPending = (message: string): void => {
    for (const id of pending) fail(id, message);
    pending.clear();
  };

  const post = (message: unknown): void => {
    const id = idOf(message, 'request');
    if (down !== null) {
      if (id !== null) fail(id, down);
    } else if (!port) {
      if (queued.length < maxQueued) queued.push(message);
      else if (id !== null) fail(id, 'Too many requests are waiting for the engine.');
    } else {
      if (id !== null) pending.add(id);
      port.postMessage(message);
    }
  };

  ipc.on(channels.port, (event: IpcRendererEvent) => {
    const next = event.ports[0] as unknown as RendererPort | undefined;
    if (!next) return;
    port?.close();
    failPending('The engine restarted before it answered; please try again.');
    port = next;
    down = null;
    port.onmessage = (message) => {
      const id = idOf(message.data, 'response');
      if (id !== null) pending.delete(id);
      deliver(message.data);
    };
    port.start();
    for (const message of queued.splice(0)) post(message);
  });

  ipc.on(channels.event, (_event: IpcRendererEvent, message: unknown) => deliver(message));

  ipc.on(channels.disconnected, (_event: IpcRendererEvent, info: unknown) => {
    const { message, final } = (info ?? {}) as { message?: unknown; final?: unknown };
    const text = typeof message === 'string' ? message : 'The engine stopped.';
    port?.close();
    port = null;
    failPending(text);
    if (final === true) {
      down = text;
      for (const waiting of queued.splice(0)) {
        const id = idOf(waiting, 'request');
        if (id !== null) fail(id, text);
      }
    }
  });

  const api: MetascopeBridge = {
    send: (message) => post(message),
    receive: (handler) => {
      if (typeof handler === 'function') handlers.push(handler);
    },
    pathForFile: (file) => {
      try {
        return files.getPathForFile(file as never);
      } catch {
        return '';
      }
    },
  };
  bridge.exposeInMainWorld('metascope', api); // = bridgeKey in electron/contract/bridge.ts
  ipc.send(channels.connect);
}

if (process.type === 'renderer') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the sandbox's own require: only `electron` is loaded
  const electron = require('electron') as typeof import('electron');
  installBridge(electron.ipcRenderer, electron.contextBridge, electron.webUtils);
}
