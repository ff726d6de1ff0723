import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { RequestHandlers, RequestName, ShellHandlers } from '../contract/api.js';
import { imageWindowHeaders, parseImagePath } from '../contract/images.js';
import { ContractError, dispatch, requestMessage, type ResponseMessage } from '../contract/messages.js';
import type { EngineHost } from './engine-host.js';
import { nestedDeeperThan } from './json-nesting.js';
import {
  allowedHost,
  allowedOrigin,
  cookieName,
  newToken,
  presentedToken,
  sameSecret,
  securityHeaders,
} from './security.js';
import { signInCodes, type Redemption } from './sign-in-codes.js';
import { findStaticFile } from './static-files.js';

/** Only this machine: browser mode is never reachable from the network. */
export const loopback = '127.0.0.1';
/** Dropped captures travel as base64 in one request; the contract caps each file at 200 MB of text. */
const maxMessageBytes = 256 * 1024 * 1024;
/** The contract's messages nest a few levels; thousands would overflow the clone to the engine's thread. */
const maxNesting = 64;

/** Policy violation: the WebSocket close code for a message the server will not read. */
const refusedMessage = 1008;

/** Browser mode has no native dialogs: the UI falls back to a path field. */
export const browserShell: ShellHandlers = { 'folders.pick': () => ({ path: null }) };

/**
 * What browser mode answers itself instead of the engine: the shell, and a refusal of copying by
 * path, which only a path chosen in the desktop's own dialog or drop may do (a page could name any
 * image file on the computer). Files dropped on the page travel as their bytes instead.
 */
const browserAnswers: Partial<RequestHandlers<RequestName>> = {
  ...browserShell,
  'captures.importPaths': () => {
    throw new ContractError(
      'desktop-only',
      'In the browser, MetaScope cannot copy files from where they lie: drag the captures onto the page instead.',
    );
  },
};

const signInRefusals: Record<Exclude<Redemption, 'ok'>, string> = {
  used: 'This sign-in address has been used already: open the address shown in the window where MetaScope runs.',
  expired: 'This sign-in address has expired: open the address shown in the window where MetaScope runs.',
  unknown: 'This sign-in address is not valid: open the address shown in the window where MetaScope runs.',
};

export interface ServerOptions {
  host: EngineHost;
  /** The built renderer (dist/renderer). */
  root: string;
  /** 0 picks a free port. */
  port?: number;
  token?: string;
  /** How long a sign-in address stays good. */
  signInCodeMs?: number;
}

export interface RunningServer {
  port: number;
  token: string;
  /** The address to print for the person who started MetaScope, token included. */
  url: string;
  /** An address to hand to a browser: a one-time code that buys the cookie, never the token. */
  signInUrl(): string;
  close(): Promise<void>;
}

const imageStatus: Record<string, number> = {
  forbidden: 403,
  'not-found': 404,
  'file-missing': 404,
  'bad-request': 400,
  'no-such-page': 400,
};

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const token = options.token ?? newToken();
  const { host, root } = options;
  const codes = signInCodes(options.signInCodeMs);
  let port = 0;

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent)
        plain(
          response,
          500,
          `Something went wrong: ${error instanceof Error ? error.message : String(error)}`,
        );
      else response.destroy();
    });
  });
  const sockets = new WebSocketServer({ noServer: true, maxPayload: maxMessageBytes });

  function plain(response: ServerResponse, status: number, text: string, extra: Record<string, string> = {}) {
    response.writeHead(status, {
      ...securityHeaders(port),
      'Content-Type': 'text/plain; charset=utf-8',
      'Cache-Control': 'no-store',
      ...extra,
    });
    response.end(text);
  }

  /** Lets the page's own scripts and styles, its pictures and its socket, which carry no token, through. */
  const sessionCookie = () => `${cookieName(port)}=${token}; Path=/; HttpOnly; SameSite=Strict`;

  /** Why a request is refused, or null when it may go on. */
  function refusal(request: IncomingMessage, url: URL): [number, string] | null {
    if (!allowedHost(request, port)) return [403, 'MetaScope answers only at 127.0.0.1.'];
    if (!sameSecret(presentedToken(request, url, port), token)) {
      return [
        401,
        'This address needs the token MetaScope printed when it started: open the full address, ?token=… included.',
      ];
    }
    return null;
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', `http://${loopback}:${port}`);
    const code = url.pathname === '/' ? url.searchParams.get('code') : null;
    if (code !== null && allowedHost(request, port)) return signIn(code, response);
    const refused = refusal(request, url);
    if (refused) return plain(response, ...refused);
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return plain(response, 405, 'Only GET is served here.', { Allow: 'GET, HEAD' });
    if (url.pathname.startsWith('/image/')) return serveImage(url, response);
    const file = await findStaticFile(root, url.pathname);
    if (!file) return plain(response, 404, 'Not found.');
    response.writeHead(200, {
      ...securityHeaders(port),
      'Content-Type': file.mime,
      'Content-Length': String(file.size),
      'Cache-Control': 'no-cache',
      'Set-Cookie': sessionCookie(),
    });
    if (request.method === 'HEAD') return void response.end();
    file.open().pipe(response);
  }

  /** The code buys the cookie, then the page reloads without it, so the address bar keeps no secret. */
  function signIn(code: string, response: ServerResponse): void {
    const redemption = codes.redeem(code);
    if (redemption !== 'ok') return plain(response, 401, signInRefusals[redemption]);
    response.writeHead(303, {
      ...securityHeaders(port),
      Location: '/',
      'Cache-Control': 'no-store',
      'Set-Cookie': sessionCookie(),
    });
    response.end();
  }

  async function serveImage(url: URL, response: ServerResponse): Promise<void> {
    const parsed = parseImagePath(url.pathname.slice('/image/'.length), url.searchParams);
    if (!parsed) return plain(response, 400, 'Not a valid image request.');
    try {
      const image = await host.image(parsed.sha256, parsed.request);
      response.writeHead(200, {
        ...securityHeaders(port),
        'Content-Type': image.mime,
        'Content-Length': String(image.body.length),
        // A capture is named by its content, so a rendition of it never changes.
        'Cache-Control': 'private, max-age=86400',
        [imageWindowHeaders.low]: String(image.window.low),
        [imageWindowHeaders.high]: String(image.window.high),
      });
      response.end(image.body);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      plain(
        response,
        imageStatus[String(code)] ?? 500,
        error instanceof Error ? error.message : String(error),
      );
    }
  }

  server.on('upgrade', (request, socket, head) => {
    socket.on('error', () => socket.destroy());
    const url = new URL(request.url ?? '/', `http://${loopback}:${port}`);
    const refused =
      url.pathname === '/api'
        ? (refusal(request, url) ?? (allowedOrigin(request, port) ? null : [403, 'Forbidden']))
        : [404, 'Not Found'];
    if (refused) {
      socket.end(
        `HTTP/1.1 ${refused[0]} ${refused[0] === 401 ? 'Unauthorized' : 'Refused'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
      );
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => relay(ws));
  });

  /** Requests go to the engine (or are answered here), each answer back to the socket that asked. */
  function relay(ws: WebSocket) {
    // A malformed frame: ws has already closed this client's connection with a status saying why;
    // without a listener the error would be thrown and stop the server for every client.
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const bytes = Buffer.isBuffer(data)
        ? data
        : Array.isArray(data)
          ? Buffer.concat(data)
          : Buffer.from(data);
      if (nestedDeeperThan(bytes, maxNesting)) {
        ws.close(refusedMessage, `MetaScope reads no message nested over ${maxNesting} levels deep.`);
        return;
      }
      let raw: unknown;
      try {
        raw = JSON.parse(bytes.toString());
      } catch {
        return;
      }
      void answer(raw).then((response) => {
        if (response && ws.readyState === ws.OPEN) ws.send(JSON.stringify(response));
      });
    });
  }

  /** Never rejects: whatever goes wrong is logged and becomes the request's own error response. */
  async function answer(raw: unknown): Promise<ResponseMessage | null> {
    const parsed = requestMessage.safeParse(raw);
    try {
      return parsed.success && !(parsed.data.name in browserAnswers)
        ? await host.request(parsed.data)
        : await dispatch(browserAnswers, raw);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      process.stderr.write(`metascope: a request failed unexpectedly: ${reason}\n`);
      if (!parsed.success) return null;
      return {
        kind: 'response',
        id: parsed.data.id,
        ok: false,
        error: { code: 'engine-error', message: `MetaScope could not answer this request (${reason}).` },
      };
    }
  }

  const unsubscribe = host.onEvent((event) => {
    const text = JSON.stringify(event);
    for (const ws of sockets.clients) if (ws.readyState === ws.OPEN) ws.send(text);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, loopback, () => resolve());
  });
  port = (server.address() as AddressInfo).port;

  return {
    port,
    token,
    url: `http://${loopback}:${port}/?token=${token}`,
    signInUrl: () => `http://${loopback}:${port}/?code=${codes.issue()}`,
    async close() {
      unsubscribe();
      for (const ws of sockets.clients) ws.terminate();
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
