import { bridgeKey, type MetascopeBridge } from '$contract/bridge.js';
import { createClient, type ClientTransport, type EngineClient } from '$contract/client.js';
import { imageBases, imagePath, type ImageOptions } from '$contract/images.js';

declare global {
  interface Window {
    [bridgeKey]?: MetascopeBridge;
  }
}

export type ConnectionState = 'connecting' | 'open' | 'lost';

/** The engine as the screens see it, the same in the desktop app and in a browser. */
export interface Connection {
  api: EngineClient;
  mode: 'desktop' | 'browser';
  imageUrl(sha256: string, options: ImageOptions): string;
  /** Desktop only: where a dropped file lies on disk, so it is copied rather than sent. */
  pathForFile: ((file: File) => string) | null;
  onState(listener: (state: ConnectionState) => void): () => void;
}

const lostMessage = 'The connection to MetaScope was lost. Is it still running? Reconnecting…';

function desktopConnection(bridge: MetascopeBridge): Connection {
  return {
    api: createClient(bridge),
    mode: 'desktop',
    imageUrl: (sha256, options) => imageBases.desktop + imagePath(sha256, options),
    pathForFile: (file) => bridge.pathForFile(file),
    onState(listener) {
      listener('open');
      return () => {};
    },
  };
}

/** The socket and the pictures are let in by the cookie set when this page was first opened. */
function browserConnection(): Connection {
  const listeners = new Set<(state: ConnectionState) => void>();
  const setState = (state: ConnectionState) => listeners.forEach((listener) => listener(state));
  const transport = reconnectingSocket(`ws://${location.host}/api`, setState, () =>
    api.disconnected(lostMessage),
  );
  const api = createClient(transport);
  return {
    api,
    mode: 'browser',
    imageUrl: (sha256, options) => imageBases.browser + imagePath(sha256, options),
    pathForFile: null,
    onState(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** A WebSocket that comes back after the server restarts; requests made meanwhile wait for it. */
function reconnectingSocket(
  url: string,
  setState: (state: ConnectionState) => void,
  onLost: () => void,
): ClientTransport {
  let socket: WebSocket;
  let receiver: (message: unknown) => void = () => {};
  let delayMs = 500;
  const outbox: string[] = [];
  const open = () => {
    setState('connecting');
    socket = new WebSocket(url);
    socket.onopen = () => {
      delayMs = 500;
      setState('open');
      for (const message of outbox.splice(0)) socket.send(message);
    };
    socket.onmessage = (event) => receiver(JSON.parse(String(event.data)));
    socket.onclose = () => {
      setState('lost');
      onLost();
      setTimeout(open, delayMs);
      delayMs = Math.min(delayMs * 2, 10_000);
    };
  };
  open();
  return {
    send(message) {
      const text = JSON.stringify(message);
      if (socket.readyState === WebSocket.OPEN) socket.send(text);
      else outbox.push(text);
    },
    receive(handler) {
      receiver = handler;
    },
  };
}

export const engine: Connection = window[bridgeKey]
  ? desktopConnection(window[bridgeKey])
  : browserConnection();
