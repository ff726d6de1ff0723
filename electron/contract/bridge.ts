import type { RequestMessage } from './messages.js';

/**
 * What the desktop preload exposes to the renderer as `window.metascope`: a pipe to the engine
 * that carries the contract's envelopes (`createClient(window.metascope)` makes the typed
 * EngineApi of it), plus the one thing only the preload can know: where a dropped file lies.
 */
export interface MetascopeBridge {
  send(message: RequestMessage): void;
  receive(handler: (message: unknown) => void): void;
  /** The path on disk of a File the user dropped (Electron's webUtils.getPathForFile); '' if it has none. */
  pathForFile(file: File): string;
}

/** The global name the preload exposes the bridge under: `window.metascope`. */
export const bridgeKey = 'metascope';
