import { appendFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CaptureRow } from '../../contract/types.js';
import { missingHardware } from '../model/providers.js';
import { writeModelFolder, tinyModelSpec } from '../model/testing/model-folder.js';
import { brightness, engineWorld, type EngineWorld } from './testing/engine-world.js';

/** Models, settings and the pipeline switches through the contract, on a real engine. */

let world: EngineWorld;
beforeEach(async () => {
  world = await engineWorld();
});
afterEach(async () => {
  await world.cleanup();
});

const done = (sha256: string) => (row: CaptureRow) => row.sha256 === sha256 && row.state === 'done';
const savedSettings = () =>
  JSON.parse(readFileSync(path.join(path.dirname(world.database), 'settings.json'), 'utf8'));

describe('models', () => {
  it('lists the shipped and imported models, switches the classifier and remembers the choice', async () => {
    const shipped = path.join(world.shipped, 'default');
    await writeModelFolder(shipped, tinyModelSpec, { id: 'shipped-default', name: 'Shipped model' });
    const app = await world.open();

    const listed = await app.call('models.list', {});
    expect(listed.map((m) => [m.id, m.active, m.builtIn, m.folder]).sort()).toEqual([
      ['shipped-default', false, true, shipped],
      ['test-linear-mean', true, false, world.model],
    ]);

    // Same weights, another id and other class names: only the manifest tells them apart.
    const second = await world.writeModel('second-model', {
      id: 'test-second',
      name: 'Second model',
      classes: ['low', 'high'],
    });
    const imported = await app.call('models.import', { folder: second });
    expect(imported).toMatchObject({
      id: 'test-second',
      version: '1.0.0',
      name: 'Second model',
      classes: ['low', 'high'],
      active: false,
      builtIn: false,
      folder: second,
    });
    expect((await app.call('models.list', {})).map((m) => m.id).sort()).toEqual([
      'shipped-default',
      'test-linear-mean',
      'test-second',
    ]);

    const before = await world.drop('before.png', 220);
    expect((await app.event('capture.updated', done(before))).model?.id).toBe('test-linear-mean');

    const status = await app.call('models.activate', { id: 'test-second', version: '1.0.0' });
    expect(status.model).toMatchObject({
      id: 'test-second',
      name: 'Second model',
      classes: ['low', 'high'],
      active: true,
    });
    expect(status.modelProblem).toBeNull();
    expect((await app.event('app.status', (s) => s.model?.id === 'test-second')).model?.folder).toBe(second);
    expect((await app.call('app.status', {})).model?.id).toBe('test-second');
    expect((await app.call('models.list', {})).filter((m) => m.active).map((m) => m.id)).toEqual([
      'test-second',
    ]);

    const after = await world.drop('after.png', 230);
    const row = await app.event('capture.updated', done(after));
    expect(row).toMatchObject({ model: { id: 'test-second', version: '1.0.0' }, class: 'high' });
    expect(row.probability).toBeCloseTo(brightness(230), 4);
    const detail = await app.call('captures.get', { sha256: after });
    expect(detail.results.map((r) => [r.model.id, r.model.name])).toEqual([['test-second', 'Second model']]);
    // Earlier results keep the model that made them.
    expect((await app.call('captures.get', { sha256: before })).results.map((r) => r.model.id)).toEqual([
      'test-linear-mean',
    ]);

    expect(savedSettings().activeModel).toEqual({ id: 'test-second', version: '1.0.0' });
    await app.close();
    // Without a model named on the command line, the saved choice is loaded again.
    const again = await world.open({ modelFolder: undefined });
    expect((await again.call('app.status', {})).model).toMatchObject({
      id: 'test-second',
      active: true,
      folder: second,
    });
  });

  it('uses the shipped default when nothing else is chosen', async () => {
    await writeModelFolder(path.join(world.shipped, 'default'), tinyModelSpec, { id: 'shipped-default' });
    const app = await world.open({ modelFolder: undefined });
    expect((await app.call('app.status', {})).model).toMatchObject({
      id: 'shipped-default',
      builtIn: true,
      active: true,
    });
  });

  it('refuses a folder that is not a model and a model that is not installed, in words', async () => {
    const app = await world.open();
    const notModel = await app.respond('models.import', { folder: world.inbox });
    expect(notModel).toMatchObject({ ok: false, error: { code: 'model-missing' } });
    expect(!notModel.ok && notModel.error.message).toBe(
      `The folder ${world.inbox} is not a model: it has no model.json.`,
    );
    const unknown = await app.respond('models.activate', { id: 'nope', version: '9' });
    expect(unknown).toMatchObject({
      ok: false,
      error: { code: 'not-found', message: 'No installed model is called nope 9.' },
    });
    expect((await app.call('app.status', {})).model?.id).toBe('test-linear-mean');
  });
});

describe('a model damaged after import', () => {
  it('is still listed, and activating it says what is wrong and keeps the running model', async () => {
    const app = await world.open();
    const damaged = await world.writeModel('damaged-model', { id: 'test-damaged' });
    await app.call('models.import', { folder: damaged });
    appendFileSync(path.join(damaged, 'model.onnx'), 'x');
    expect((await app.call('models.list', {})).map((m) => m.id).sort()).toEqual([
      'test-damaged',
      'test-linear-mean',
    ]);
    const refused = await app.respond('models.activate', { id: 'test-damaged', version: '1.0.0' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'onnx-checksum' } });
    expect(!refused.ok && refused.error.message).toMatch(/is not the one its model.json describes/);
    expect((await app.call('app.status', {})).model?.id).toBe('test-linear-mean');
  });
});

describe('settings', () => {
  it('are saved, returned and applied: threshold, provider and batch size', async () => {
    const app = await world.open();
    expect(await app.call('settings.get', {})).toEqual({
      threshold: null,
      provider: 'auto',
      batchSize: 8,
      reviewerName: null,
      facility: null,
    });

    expect(await app.call('settings.update', { threshold: 0.9 })).toEqual({
      threshold: 0.9,
      provider: 'auto',
      batchSize: 8,
      reviewerName: null,
      facility: null,
    });
    await app.event('app.status');
    // p(bright) of 200 is 0.76: bright at the model's 0.5, dim at 0.9.
    const sha = await world.drop('c200.png', 200);
    const row = await app.event('capture.updated', done(sha));
    expect(row.class).toBe('dim');
    expect(row.probability).toBeCloseTo(1 - brightness(200), 4);
    expect((await app.call('captures.get', { sha256: sha })).results[0]!.preprocessing).toMatchObject({
      threshold: 0.9,
    });

    expect(await app.call('settings.update', { provider: 'cpu' })).toEqual({
      threshold: 0.9,
      provider: 'cpu',
      batchSize: 8,
      reviewerName: null,
      facility: null,
    });
    // A provider chosen by name is the only one tried.
    expect(await app.call('app.status', {})).toMatchObject({ provider: 'cpu', skippedProviders: [] });
    // A partial update leaves the other settings as they were.
    expect(await app.call('settings.update', { batchSize: 4 })).toEqual({
      threshold: 0.9,
      provider: 'cpu',
      batchSize: 4,
      reviewerName: null,
      facility: null,
    });
    expect(await app.call('settings.get', {})).toEqual({
      threshold: 0.9,
      provider: 'cpu',
      batchSize: 4,
      reviewerName: null,
      facility: null,
    });
    expect(savedSettings()).toMatchObject({ threshold: 0.9, provider: 'cpu', batchSize: 4 });

    await app.close();
    const again = await world.open();
    expect(await again.call('settings.get', {})).toEqual({
      threshold: 0.9,
      provider: 'cpu',
      batchSize: 4,
      reviewerName: null,
      facility: null,
    });
    expect(await again.call('app.status', {})).toMatchObject({ provider: 'cpu', skippedProviders: [] });
    // null gives the decision back to the model's own threshold.
    expect(await again.call('settings.update', { threshold: null })).toEqual({
      threshold: null,
      provider: 'cpu',
      batchSize: 4,
      reviewerName: null,
      facility: null,
    });
    const next = await world.drop('c201.png', 201);
    expect((await again.event('capture.updated', done(next))).class).toBe('bright');
  });

  it('answers an invalid value with a bad-request response and changes nothing', async () => {
    const app = await world.open();
    await app.call('settings.update', { batchSize: 2 });
    const bad = [
      { threshold: 1.5 },
      { threshold: 0 },
      { batchSize: 0 },
      { batchSize: 65 },
      { batchSize: 2.5 },
      { provider: 'tpu' },
      { threshold: 'high' },
    ];
    for (const input of bad) {
      const response = await app.respond('settings.update', input);
      expect(response).toMatchObject({ ok: false, error: { code: 'bad-request' } });
      expect(!response.ok && response.error.message).toMatch(/^Invalid settings\.update request \(.+\)\.$/);
    }
    expect(await app.call('settings.get', {})).toEqual({
      threshold: null,
      provider: 'auto',
      batchSize: 2,
      reviewerName: null,
      facility: null,
    });
    expect(savedSettings()).toMatchObject({ threshold: null, provider: 'auto', batchSize: 2 });
    // The engine keeps working.
    const sha = await world.drop('still.png', 30);
    expect((await app.event('capture.updated', done(sha))).class).toBe('dim');
  });

  it.skipIf(missingHardware('cuda') === null)(
    'keeps the previous processor when the chosen one cannot run the model',
    async () => {
      const app = await world.open();
      await app.call('settings.update', { provider: 'cpu' });
      const response = await app.respond('settings.update', { provider: 'cuda' });
      expect(response).toMatchObject({ ok: false, error: { code: 'provider-failed' } });
      expect(!response.ok && response.error.message).toMatch(
        /^NVIDIA GPU \(CUDA\) was chosen but cannot run the model\./,
      );
      // Nothing was saved that would leave the next start without a model.
      expect(await app.call('settings.get', {})).toMatchObject({ provider: 'cpu' });
      expect(await app.call('app.status', {})).toMatchObject({ provider: 'cpu', modelProblem: null });
      await app.close();
      const again = await world.open();
      expect(await again.call('app.status', {})).toMatchObject({
        provider: 'cpu',
        modelProblem: null,
        model: { id: 'test-linear-mean' },
      });
    },
  );
});

describe('the pipeline', () => {
  it('pauses and resumes: captures wait in the queue meanwhile', async () => {
    const app = await world.open();
    expect(await app.call('pipeline.pause', {})).toMatchObject({ paused: true });
    const sha = await world.drop('waiting.png', 90);
    await app.event('capture.updated', (row) => row.sha256 === sha && row.state === 'queued');
    expect((await app.call('app.status', {})).progress).toMatchObject({ paused: true, queued: 1 });
    expect(await app.call('pipeline.resume', {})).toMatchObject({ paused: false });
    expect((await app.event('capture.updated', done(sha))).class).toBe('dim');
    expect((await app.call('app.status', {})).progress).toMatchObject({ queued: 0, inFlight: 0, done: 1 });
  });

  it('without a model: the engine opens, says why in words, and starts once a model is activated', async () => {
    const missing = path.join(world.dir, 'no-such-model');
    const app = await world.open({ modelFolder: missing });
    const status = await app.call('app.status', {});
    expect(status).toMatchObject({
      model: null,
      provider: null,
      providerLabel: null,
      skippedProviders: [],
      inbox: world.inbox,
    });
    expect(status.modelProblem).toBe(`The model folder ${missing} does not exist.`);
    expect(await app.call('folders.list', {})).toEqual([
      expect.objectContaining({ path: world.inbox, isInbox: true }),
    ]);

    for (const name of ['pipeline.pause', 'pipeline.resume'] as const) {
      expect(await app.respond(name, {})).toMatchObject({
        ok: false,
        error: { code: 'no-model', message: status.modelProblem },
      });
    }
    expect(await app.call('settings.get', {})).toEqual({
      threshold: null,
      provider: 'auto',
      batchSize: 8,
      reviewerName: null,
      facility: null,
    });
    expect(await app.call('models.list', {})).toEqual([]);

    const sha = await world.drop('early.png', 240);
    const imported = await app.call('models.import', { folder: world.model });
    expect(imported).toMatchObject({ id: 'test-linear-mean', active: false });
    const activated = await app.call('models.activate', { id: 'test-linear-mean', version: '1.0.0' });
    expect(activated).toMatchObject({
      model: { id: 'test-linear-mean', active: true },
      modelProblem: null,
      provider: 'cpu',
    });
    // The capture that waited in the inbox is picked up once there is a model.
    expect((await app.event('capture.updated', done(sha))).class).toBe('bright');
    expect(await app.call('pipeline.pause', {})).toMatchObject({ paused: true });
  });
});
