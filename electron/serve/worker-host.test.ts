import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { EventMessage } from '../contract/messages.js';
import { engineWorld, type EngineWorld } from '../core/engine/testing/engine-world.js';
import { smallDisk } from '../core/store/testing/fixtures.js';
import type { EngineHost } from './engine-host.js';
import { startWorkerHost } from './worker-host.js';

let world: EngineWorld;
let host: EngineHost;
const options = () => ({
  database: world.database,
  inbox: world.inbox,
  mode: 'browser' as const,
  modelFolder: world.model,
});

beforeAll(async () => {
  world = await engineWorld();
  host = await startWorkerHost(options());
});

afterAll(async () => {
  await host?.close();
  await world?.cleanup();
});

it('a second engine thread on the same database does not start, and its reason carries the code serve exits 2 for', async () => {
  await expect(startWorkerHost(options())).rejects.toMatchObject({
    code: 'in-use',
    message: expect.stringMatching(
      /^MetaScope is already running on the database .* \(metascope serve, process \d+, since .*\): only one MetaScope/,
    ),
  });
});

it('answers a request its thread cannot be sent with a failure, and the engine goes on', async () => {
  // Thousands of levels overflow the structured clone's stack on the way to the engine's thread.
  const input = JSON.parse(`${'['.repeat(5000)}${']'.repeat(5000)}`) as unknown;
  expect(await host.request({ kind: 'request', id: 1, name: 'app.status', input })).toMatchObject({
    id: 1,
    ok: false,
    error: {
      code: 'bad-request',
      message: expect.stringContaining('The engine could not be sent this request'),
    },
  });
  expect(await host.request({ kind: 'request', id: 2, name: 'app.status', input: {} })).toMatchObject({
    id: 2,
    ok: true,
  });
});

it('hands what the engine said while starting to the first listener', async (context) => {
  const home = smallDisk({ readOnly: true });
  if (!home)
    return context.skip('a read-only home of its own (a tmpfs mounted read-only) needs root to mount');
  const started = await startWorkerHost({
    database: path.join(world.dir, 'other', 'metascope.db'),
    inbox: path.join(home.dir, 'MetaScope Inbox'),
    mode: 'browser',
    modelFolder: world.model,
  });
  try {
    const heard: EventMessage[] = [];
    started.onEvent((event) => heard.push(event));
    expect(heard.filter((event) => event.name === 'notice')).toEqual([
      expect.objectContaining({
        name: 'notice',
        payload: expect.objectContaining({
          level: 'warning',
          message: expect.stringMatching(/^The inbox .* cannot be created/),
        }),
      }),
    ]);
  } finally {
    await started.close();
    home.unmount();
  }
});
