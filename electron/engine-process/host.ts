import type { EngineHandlers } from '../contract/api.js';
import { dispatch, type EventMessage, type ResponseMessage } from '../contract/messages.js';
import { pictureOfCapture, type PictureSource } from '../core/files/capture-pictures.js';
import { whereTheLogIs } from '../core/log-file.js';
import type { ImageRequest } from '../contract/images.js';
import { toEngine, type EngineStartOptions, type FromEngine } from './protocol.js';

/**
 * The engine's side of the desktop app, without Electron: what the utility process does with the
 * messages it gets from the main process and from each window's MessagePort. index.ts only plugs
 * process.parentPort and Electron's ports into it, so everything here is tested in plain Node.
 */

/** The part of core/engine's Engine this process uses. */
export interface HostedEngine extends PictureSource {
  handlers: EngineHandlers;
  onEvent(listener: (message: EventMessage) => void): () => void;
  close(): Promise<void>;
}

/** A window's MessagePort, as the host needs it. */
export interface HostPort {
  postMessage(message: unknown): void;
  onMessage(listener: (data: unknown) => void): void;
  onClose(listener: () => void): void;
  start(): void;
  close(): void;
}

export interface HostDeps {
  open(options: EngineStartOptions): Promise<HostedEngine>;
  /** To the main process. */
  post(message: FromEngine): void;
  exit(code: number): void;
  log?(message: string): void;
}

/** Turns an exception from openEngine into a sentence a person can act on, and says where the log is. */
export function describeStartFailure(error: unknown, where = whereTheLogIs()): string {
  const text = error instanceof Error ? error.message : String(error);
  if (/NODE_MODULE_VERSION|was compiled against a different Node\.js version/i.test(text)) {
    return `This copy of MetaScope has a part built for another version of Electron or Node.js, so the engine cannot start. Install MetaScope again; when running it from its source code, \`npm start\` rebuilds that part. ${where}`;
  }
  // The first line is the reason; the rest (and the stack) is in the log.
  return `The engine could not start: ${(text.split('\n')[0] ?? '').replace(/\.?$/, '.')} ${where}`;
}

function requestId(raw: unknown): number | null {
  const id = (raw as { id?: unknown } | null)?.id;
  return typeof id === 'number' && Number.isInteger(id) && id >= 0 ? id : null;
}

function errorResponse(id: number, code: string, message: string): ResponseMessage {
  return { kind: 'response', id, ok: false, error: { code, message } };
}

export class EngineHost {
  private engine: HostedEngine | null = null;
  private failure: string | null = null;
  private started = false;
  private closing = false;
  private readonly ready: Promise<void>;
  private markReady!: () => void;
  private readonly ports = new Map<number, HostPort>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private shellRequests = new Set<string>();
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly deps: HostDeps) {
    this.ready = new Promise<void>((resolve) => (this.markReady = resolve));
  }

  /** One message from the main process, with the ports it carried. */
  handleParentMessage(raw: unknown, ports: readonly HostPort[]): void {
    const parsed = toEngine.safeParse(raw);
    if (!parsed.success) {
      this.deps.log?.(
        `Ignored a malformed message from the main process: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      );
      for (const port of ports) port.close();
      return;
    }
    const message = parsed.data;
    switch (message.type) {
      case 'start':
        void this.start(message.options, message.shellRequests);
        return;
      case 'connect': {
        const port = ports[0];
        if (port) this.connect(message.windowId, port);
        return;
      }
      case 'disconnect':
        this.disconnect(message.windowId);
        return;
      case 'render':
        this.track(this.render(message.id, message.sha256, message.request));
        return;
      case 'shell-response':
        this.ports.get(message.windowId)?.postMessage(message.response);
        return;
      case 'shutdown':
        void this.shutdown();
        return;
    }
  }

  get connectedWindows(): number[] {
    return [...this.ports.keys()];
  }

  private async start(options: EngineStartOptions, shellRequests: readonly string[]): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.shellRequests = new Set(shellRequests);
    try {
      const engine = await this.deps.open(options);
      if (this.closing) {
        await engine.close();
        return;
      }
      this.engine = engine;
      this.unsubscribe = engine.onEvent((event) => this.broadcast(event));
      this.deps.post({ type: 'ready' });
    } catch (error) {
      this.failure = describeStartFailure(error);
      this.deps.log?.(`The engine could not start: ${error instanceof Error ? error.stack : String(error)}`);
      this.deps.post({ type: 'failed', message: this.failure });
    } finally {
      this.markReady();
    }
  }

  private connect(windowId: number, port: HostPort): void {
    this.disconnect(windowId);
    this.ports.set(windowId, port);
    port.onMessage((data) => this.track(this.handleRequest(windowId, port, data)));
    port.onClose(() => {
      if (this.ports.get(windowId) === port) this.ports.delete(windowId);
    });
    port.start();
  }

  private disconnect(windowId: number): void {
    const port = this.ports.get(windowId);
    if (!port) return;
    this.ports.delete(windowId);
    port.close();
  }

  private broadcast(event: EventMessage): void {
    for (const port of this.ports.values()) port.postMessage(event);
  }

  private reply(windowId: number, port: HostPort, response: ResponseMessage | null): void {
    // A window that reloaded or closed meanwhile has a new port (or none): the answer is dropped.
    if (response && this.ports.get(windowId) === port) port.postMessage(response);
  }

  private async handleRequest(windowId: number, port: HostPort, raw: unknown): Promise<void> {
    const id = requestId(raw);
    if (this.closing) {
      if (id !== null)
        this.reply(windowId, port, errorResponse(id, 'shutting-down', 'MetaScope is closing.'));
      return;
    }
    const name = (raw as { name?: unknown; kind?: unknown } | null)?.name;
    if (
      (raw as { kind?: unknown } | null)?.kind === 'request' &&
      typeof name === 'string' &&
      this.shellRequests.has(name)
    ) {
      this.deps.post({ type: 'shell-request', windowId, message: raw });
      return;
    }
    await this.ready;
    if (!this.engine) {
      if (id !== null)
        this.reply(
          windowId,
          port,
          errorResponse(id, 'engine-unavailable', this.failure ?? 'The engine is not running.'),
        );
      return;
    }
    this.reply(windowId, port, await dispatch(this.engine.handlers, raw));
  }

  private async render(id: number, sha256: string, request: ImageRequest): Promise<void> {
    await this.ready;
    if (!this.engine || this.closing) {
      this.deps.post({
        type: 'rendered',
        id,
        ok: false,
        error: { code: 'engine-unavailable', message: this.failure ?? 'The engine is not running.' },
      });
      return;
    }
    try {
      const image = await pictureOfCapture(this.engine, sha256, request);
      const body = new Uint8Array(image.body.buffer, image.body.byteOffset, image.body.byteLength);
      this.deps.post({ type: 'rendered', id, ok: true, body, mime: image.mime, window: image.window });
    } catch (error) {
      const code = String((error as { code?: unknown }).code ?? 'render-failed');
      const message = error instanceof Error ? error.message : String(error);
      this.deps.post({ type: 'rendered', id, ok: false, error: { code, message } });
    }
  }

  private track(work: Promise<unknown>): void {
    const tracked = work.catch((error: unknown) =>
      this.deps.log?.(`Unexpected error: ${error instanceof Error ? error.stack : String(error)}`),
    );
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }

  /** Finishes what was started, closes the engine (the store checkpoints its WAL), then exits. */
  async shutdown(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (!this.started) this.markReady();
    await this.ready;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    this.unsubscribe?.();
    let code = 0;
    try {
      await this.engine?.close();
    } catch (error) {
      code = 1;
      this.deps.log?.(
        `The engine did not close cleanly: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    this.engine = null;
    for (const port of this.ports.values()) port.close();
    this.ports.clear();
    this.deps.post({ type: 'closed' });
    this.deps.exit(code);
  }
}
