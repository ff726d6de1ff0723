import { afterAll, beforeAll, expect, it } from 'vitest';
import { engineWorld, type EngineWorld } from '../core/engine/testing/engine-world.js';
import type { EngineHost } from './engine-host.js';
import { startWorkerHost } from './worker-host.js';

let world: EngineWorld;
let host: EngineHost | undefined;
beforeAll(async () => {
  world = await engineWorld();
});
afterAll(async () => {
  await host?.close();
  await world.cleanup();
});

it('a second engine thread on the same database does not start, and its reason carries the code serve exits 2 for', async () => {
  const options = {
    database: world.database,
    inbox: world.inbox,
    mode: 'browser' as const,
    modelFolder: world.model,
  };
  host = await startWorkerHost(options);
  await expect(startWorkerHost(options)).rejects.toMatchObject({
    code: 'in-use',
    message: expect.stringMatching(
      /^MetaScope is already running on the database .* \(metascope serve, process \d+, since .*\): only one MetaScope/,
    ),
  });
});
