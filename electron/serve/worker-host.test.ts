import { afterAll, beforeAll, expect, it } from 'vitest';
import { engineWorld, type EngineWorld } from '../core/engine/testing/engine-world.js';
import type { EngineHost } from './engine-host.js';
import { startWorkerHost } from './worker-host.js';

let world: EngineWorld;
let host: EngineHost;

beforeAll(async () => {
  world = await engineWorld();
  host = await startWorkerHost({
    database: world.database,
    inbox: world.inbox,
    mode: 'browser',
    modelFolder: world.model,
  });
});

afterAll(async () => {
  await host?.close();
  await world?.cleanup();
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
