import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, type RawData } from 'ws';
import { ensureRendererBuilt } from '../../e2e/support/renderer.js';
import { makeTempDir } from '../core/capture/testing/images.js';
import { captureBytes, waitFor } from '../core/intake/testing/fixtures.js';
import { writeModelFolder } from '../core/model/testing/model-folder.js';
import { startCli, type CliRun } from './testing/run-cli.js';

/**
 * A real `metascope serve --open`, its engine in its worker thread, attacked as a local user with
 * the token could: malformed WebSocket frames on raw TCP sockets, a message nested thousands of
 * levels deep. Each must cost only the connection that sent it. The browser it opens is a stand-in
 * `xdg-open` that writes down the address it was given, which any account could read in the
 * process list.
 */
const temp = makeTempDir('metascope-serve-');
const opened = path.join(temp.dir, 'opened.txt');
const inbox = path.join(temp.dir, 'inbox');
let serve: CliRun;
let port: number;
let token: string;

beforeAll(async () => {
  ensureRendererBuilt();
  const bin = path.join(temp.dir, 'bin');
  mkdirSync(bin);
  writeFileSync(path.join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s' "$*" > '${opened}'\n`);
  chmodSync(path.join(bin, 'xdg-open'), 0o755);
  const model = path.join(temp.dir, 'model');
  await writeModelFolder(model);
  serve = startCli(['serve', '--open', '--db', path.join(temp.dir, 'metascope.db'), '--model', model], {
    PATH: `${bin}${path.delimiter}${process.env.PATH}`,
    METASCOPE_DATA: path.join(temp.dir, 'data'),
    METASCOPE_INBOX: inbox,
  });
  await waitFor('serve to print its address', () => /running at \S+\n/.test(serve.stdout()), 120_000);
  const printed = new URL(/running at (\S+)\n/.exec(serve.stdout())![1]!);
  port = Number(printed.port);
  token = printed.searchParams.get('token')!;
}, 180_000);

afterAll(async () => {
  if (serve && serve.child.exitCode === null) {
    serve.child.kill('SIGTERM');
    await serve.exited;
  }
  temp.remove();
});

const alive = () => serve.child.exitCode === null && serve.child.signalCode === null;

function client(): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api?token=${token}`);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Sends one request and resolves with its response, passing over the events broadcast meanwhile. */
function ask(ws: WebSocket, id: number, name: string, input: unknown): Promise<unknown> {
  return new Promise((resolve) => {
    const listener = (data: RawData) => {
      const message = JSON.parse(String(data)) as { kind: string; id?: number };
      if (message.kind !== 'response' || message.id !== id) return;
      ws.off('message', listener);
      resolve(message);
    };
    ws.on('message', listener);
    ws.send(JSON.stringify({ kind: 'request', id, name, input }));
  });
}

/** A client that still gets its answer: the server, and the engine behind it, are still there. */
async function stillAnswers(): Promise<void> {
  const ws = await client();
  expect(await ask(ws, 1, 'app.status', {})).toMatchObject({
    kind: 'response',
    id: 1,
    ok: true,
    output: { mode: 'browser' },
  });
  ws.close();
}

/** Sends one raw frame after a real handshake; resolves once the server has closed the connection. */
function sendFrame(frame: Buffer, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(`The server kept the connection open ${timeoutMs} ms after ${frame.toString('hex')}.`),
      );
    }, timeoutMs);
    let handshake = '';
    socket.on('connect', () =>
      socket.write(
        [
          `GET /api?token=${token} HTTP/1.1`,
          `Host: 127.0.0.1:${port}`,
          'Upgrade: websocket',
          'Connection: Upgrade',
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
          'Sec-WebSocket-Version: 13',
          '',
          '',
        ].join('\r\n'),
      ),
    );
    socket.on('data', (chunk) => {
      if (handshake.includes('\r\n\r\n')) return;
      handshake += chunk.toString('latin1');
      if (handshake.startsWith('HTTP/1.1 101') && handshake.includes('\r\n\r\n')) socket.write(frame);
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      if (handshake.startsWith('HTTP/1.1 101')) resolve();
      else reject(new Error(`The handshake was refused: ${handshake.split('\r\n')[0]}`));
    });
  });
}

const noMask = Buffer.alloc(4);

describe('metascope serve', () => {
  it('hands the browser a one-time address, never the token', async () => {
    await waitFor('the browser to be opened', () => existsSync(opened), 30_000);
    const address = readFileSync(opened, 'utf8');
    expect(address).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/\\?code=[\\w-]{43}$`));
    expect(address).not.toContain(token);

    const first = await fetch(address, { redirect: 'manual' });
    expect(first.status).toBe(303);
    const cookie = first.headers.get('set-cookie')!.split(';')[0]!;
    expect(cookie).toBe(`metascope-token-${port}=${token}`);
    const page = await fetch(`http://127.0.0.1:${port}/`, { headers: { Cookie: cookie } });
    expect(page.status).toBe(200);

    const second = await fetch(address, { redirect: 'manual' });
    expect(second.status).toBe(401);
    expect(await second.text()).toBe(
      'This sign-in address has been used already: open the address shown in the window where MetaScope runs.',
    );
  });

  it('closes only the connection of a client that sends a malformed frame', async () => {
    const frames: Record<string, Buffer> = {
      'an unmasked client frame': Buffer.from([0x81, 0x02, 0x68, 0x69]),
      'a length header of 2^53 bytes': Buffer.concat([
        Buffer.from([0x82, 0xff, 0x00, 0x20, 0, 0, 0, 0, 0, 0]),
        noMask,
      ]),
      'RSV1 set without compression': Buffer.concat([Buffer.from([0xc1, 0x82]), noMask, Buffer.from('hi')]),
      'an unknown opcode': Buffer.concat([Buffer.from([0x83, 0x80]), noMask]),
      'text that is not UTF-8': Buffer.concat([Buffer.from([0x81, 0x82]), noMask, Buffer.from([0xc3, 0x28])]),
    };
    for (const [what, frame] of Object.entries(frames)) {
      await sendFrame(frame);
      // The process may take a moment to fall over: ask after every frame.
      await stillAnswers().catch((error: Error) => {
        throw new Error(`After ${what}: ${error.message}; serve said: ${serve.stderr()}`);
      });
      expect(alive(), what).toBe(true);
    }
  }, 120_000);

  it('refuses a message nested thousands of levels deep, and goes on', async () => {
    const depth = 5000;
    const ws = await client();
    const closed = new Promise<[number, string]>((resolve) =>
      ws.once('close', (code, reason) => resolve([code, reason.toString()])),
    );
    ws.send(`{"kind":"request","id":2,"name":"app.status","input":${'['.repeat(depth)}${']'.repeat(depth)}}`);
    expect(await closed).toEqual([1008, 'MetaScope reads no message nested over 64 levels deep.']);
    await stillAnswers();
    expect(alive()).toBe(true);
  }, 60_000);

  it('refuses to copy a file by its path, which the page could name anywhere, and takes uploads', async () => {
    const elsewhere = path.join(temp.dir, 'elsewhere.png');
    writeFileSync(elsewhere, await captureBytes(1));
    const ws = await client();
    expect(await ask(ws, 3, 'captures.importPaths', { paths: [elsewhere] })).toEqual({
      kind: 'response',
      id: 3,
      ok: false,
      error: {
        code: 'desktop-only',
        message:
          'In the browser, MetaScope cannot copy files from where they lie: drag the captures onto the page instead.',
      },
    });
    const upload = { name: 'dropped.png', dataBase64: (await captureBytes(2)).toString('base64') };
    expect(await ask(ws, 4, 'captures.import', { files: [upload] })).toMatchObject({ id: 4, ok: true });
    ws.close();
    expect(readdirSync(inbox)).toEqual(['dropped.png']);
  });
});
