import { MessageChannelMain, utilityProcess, type UtilityProcess, type WebContents } from 'electron';
import type { ImageRequest } from '../contract/images.js';
import { ContractError, eventEnvelope, type ResponseMessage } from '../contract/messages.js';
import type { EngineNotice } from '../contract/types.js';
import { fromEngine, type EngineStartOptions, type ToEngine } from '../engine-process/protocol.js';
import { whereTheLogIs } from '../core/log-file.js';
import { threadPoolEnv } from '../core/threads.js';
import { channels } from './channels.js';
import { PageNotices } from './page-notices.js';
import { createRestartPolicy, defaultRestartPolicy, type RestartPolicyOptions } from './restart-policy.js';

/**
 * Runs the engine in an Electron utility process and keeps it running: starts it, gives every
 * window its own MessagePort to it, relays image renditions for the image protocol, restarts it
 * after a crash (and tells the windows, once their pages listen), and shuts it down cleanly when
 * the app quits, saying so in the windows meanwhile.
 */
export interface SupervisorOptions {
  /** The compiled electron/engine-process/index.js. */
  entry: string;
  start: EngineStartOptions;
  /** Contract requests the main process answers (native dialogs); the engine forwards them here. */
  shellRequests: readonly string[];
  answerShellRequest(windowId: number, message: unknown): Promise<ResponseMessage | null>;
  policy?: RestartPolicyOptions;
  renderTimeoutMs?: number;
  log(message: string): void;
}

export interface Rendition {
  body: Uint8Array;
  mime: string;
  window: { low: number; high: number };
}

interface PendingRender {
  resolve(rendition: Rendition): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return (lines[lines.length - 1] ?? '').trim().slice(0, 300);
}

export class EngineSupervisor {
  private child: UtilityProcess | null = null;
  private readonly windows = new Map<number, WebContents>();
  private readonly renders = new Map<number, PendingRender>();
  private nextRenderId = 1;
  private stopping = false;
  private restarting = false;
  private restartTimer: NodeJS.Timeout | null = null;
  /** Why the engine is not usable (failed to open, or gave up after crashes). */
  private problem: string | null = null;
  private gaveUp = false;
  private stderrTail = '';
  private readonly policy: ReturnType<typeof createRestartPolicy>;
  private readonly notices = new PageNotices<EngineNotice>((windowId, notice) => {
    const contents = this.windows.get(windowId);
    if (contents && !contents.isDestroyed()) contents.send(channels.event, eventEnvelope('notice', notice));
  });

  constructor(private readonly options: SupervisorOptions) {
    this.policy = createRestartPolicy(options.policy ?? defaultRestartPolicy);
  }

  start(): void {
    if (this.child || this.stopping) return;
    this.stderrTail = '';
    const child = utilityProcess.fork(this.options.entry, [], {
      serviceName: 'MetaScope engine',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: threadPoolEnv(),
    });
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => process.stdout.write(chunk));
    child.stderr?.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-4000);
    });
    child.on('message', (raw: unknown) => this.onMessage(child, raw));
    child.on('exit', (code: number) => this.onExit(child, code));
    this.post({ type: 'start', options: this.options.start, shellRequests: [...this.options.shellRequests] });
    for (const [windowId, contents] of this.windows) this.connectWindow(windowId, contents);
  }

  /**
   * A window's preload asked for a port (called only after the sender was checked). It asks as its
   * page starts loading, before the page's scripts listen: notices wait for the page's dom-ready.
   */
  attach(contents: WebContents): void {
    const windowId = contents.id;
    if (!this.windows.has(windowId)) {
      this.windows.set(windowId, contents);
      contents.on('dom-ready', () => this.notices.pageListening(windowId));
      contents.once('destroyed', () => this.detach(windowId));
    }
    this.notices.pageLoading(windowId);
    if (this.child) this.connectWindow(contents.id, contents);
    if (this.gaveUp && this.problem)
      contents.send(channels.disconnected, { message: this.problem, final: true });
    if (this.problem) this.notifyOne(contents, { level: 'error', message: this.problem });
  }

  private detach(windowId: number): void {
    this.windows.delete(windowId);
    this.notices.forget(windowId);
    if (this.child) this.post({ type: 'disconnect', windowId });
  }

  private connectWindow(windowId: number, contents: WebContents): void {
    if (!this.child || contents.isDestroyed()) return;
    const { port1, port2 } = new MessageChannelMain();
    this.child.postMessage({ type: 'connect', windowId } satisfies ToEngine, [port1]);
    contents.postMessage(channels.port, null, [port2]);
  }

  private post(message: ToEngine): void {
    this.child?.postMessage(message);
  }

  /** A rendition for the image protocol, made in the engine process. */
  renderImage(sha256: string, request: ImageRequest): Promise<Rendition> {
    return new Promise<Rendition>((resolve, reject) => {
      if (!this.child) {
        reject(new ContractError('engine-unavailable', this.problem ?? 'The engine is not running.'));
        return;
      }
      const id = this.nextRenderId++;
      const timer = setTimeout(() => {
        this.renders.delete(id);
        reject(new ContractError('timeout', 'The engine took too long to draw this picture.'));
      }, this.options.renderTimeoutMs ?? 60_000);
      this.renders.set(id, { resolve, reject, timer });
      this.post({ type: 'render', id, sha256, request });
    });
  }

  private onMessage(child: UtilityProcess, raw: unknown): void {
    if (child !== this.child) return;
    const parsed = fromEngine.safeParse(raw);
    if (!parsed.success) {
      this.options.log(
        `Ignored a malformed message from the engine process: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      );
      return;
    }
    const message = parsed.data;
    switch (message.type) {
      case 'ready':
        this.problem = null;
        if (this.restarting) this.notifyAll({ level: 'info', message: 'The engine is running again.' });
        this.restarting = false;
        return;
      case 'failed':
        this.problem = message.message;
        this.restarting = false;
        this.notifyAll({ level: 'error', message: message.message });
        return;
      case 'rendered': {
        const pending = this.renders.get(message.id);
        if (!pending) return;
        this.renders.delete(message.id);
        clearTimeout(pending.timer);
        if (message.ok) pending.resolve({ body: message.body, mime: message.mime, window: message.window });
        else pending.reject(new ContractError(message.error.code, message.error.message));
        return;
      }
      case 'shell-request':
        void this.options
          .answerShellRequest(message.windowId, message.message)
          .then((response) => {
            if (response && this.child === child)
              this.post({ type: 'shell-response', windowId: message.windowId, response });
          })
          .catch((error: unknown) => this.options.log(`A shell request failed: ${String(error)}`));
        return;
      case 'closed':
        return;
    }
  }

  private onExit(child: UtilityProcess, code: number): void {
    if (child !== this.child) return;
    this.child = null;
    for (const [id, pending] of this.renders) {
      clearTimeout(pending.timer);
      pending.reject(
        new ContractError('engine-unavailable', 'The engine stopped while drawing this picture.'),
      );
      this.renders.delete(id);
    }
    if (this.stopping) return;

    const detail = lastLine(this.stderrTail);
    const why = `exit code ${code}${detail ? `: ${detail}` : ''}`;
    this.options.log(`The engine process stopped unexpectedly (${why}).`);
    const decision = this.policy.onCrash(Date.now());
    if (decision.restart) {
      this.restarting = true;
      this.disconnectAll('The engine stopped unexpectedly; it is being restarted.', false);
      this.notifyAll({
        level: 'warning',
        message: `The engine stopped unexpectedly (${why}) and is being restarted. Captures in progress will be picked up again.`,
      });
      this.restartTimer = setTimeout(() => {
        this.restartTimer = null;
        this.start();
      }, decision.delayMs);
    } else {
      this.gaveUp = true;
      this.problem = `The engine stopped ${decision.crashes} times within a minute (last: ${why}), so MetaScope stopped restarting it. Quit and start MetaScope again. If it keeps happening, ${whereTheLogIs()}`;
      this.disconnectAll(this.problem, true);
      this.notifyAll({ level: 'error', message: this.problem });
    }
  }

  private disconnectAll(message: string, final: boolean): void {
    for (const contents of this.windows.values()) {
      if (!contents.isDestroyed()) contents.send(channels.disconnected, { message, final });
    }
  }

  private notifyOne(contents: WebContents, notice: Omit<EngineNotice, 'at'>): void {
    this.notices.send(contents.id, { ...notice, at: new Date().toISOString() });
  }

  private notifyAll(notice: Omit<EngineNotice, 'at'>): void {
    for (const contents of this.windows.values()) this.notifyOne(contents, notice);
  }

  /**
   * Asks the engine to finish and close (its store checkpoints), telling the windows meanwhile;
   * kills it after `timeoutMs`.
   */
  async shutdown(timeoutMs = 15_000): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child) return;
    // A warning stays on screen until the window closes (an info notice fades after a few seconds).
    this.notifyAll({
      level: 'warning',
      message: 'MetaScope is closing: it finishes the captures in progress and saves the database first.',
    });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.options.log('The engine did not close in time; stopping it.');
        child.kill();
      }, timeoutMs);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.post({ type: 'shutdown' });
    });
  }
}
