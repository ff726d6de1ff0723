import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CaptureRow, RerunProgress } from '../../contract/types.js';
import { tinyModelSpec, writeModelFolder } from '../model/testing/model-folder.js';
import { engineWorld, type Driven, type EngineWorld } from './testing/engine-world.js';

/** Provenance across model versions, re-running a second model and comparing the two, on a real engine. */

let world: EngineWorld;
beforeEach(async () => {
  world = await engineWorld();
});
afterEach(async () => {
  await world.cleanup();
});

const done = (sha256: string) => (row: CaptureRow) => row.sha256 === sha256 && row.state === 'done';
const ref = (m: { id: string; version: string; sha256: string }) => ({
  id: m.id,
  version: m.version,
  sha256: m.sha256,
});

/** Three captures the test model (bright above 127.5) classified: dim, dim and bright. */
async function classifiedThree(app: Driven) {
  const captures = { dark: await world.drop('dark.png', 30), middle: await world.drop('middle.png', 100) };
  const bright = await world.drop('bright.png', 220);
  for (const sha256 of [captures.dark, captures.middle, bright])
    await app.event('capture.updated', done(sha256));
  return { ...captures, bright };
}

/** A second model that calls a capture bright above 63.75 of 255: it disagrees on the middle one. */
async function eagerModel(app: Driven) {
  const folder = path.join(world.dir, 'eager-model');
  await writeModelFolder(folder, { ...tinyModelSpec, bias: [-1] }, { id: 'test-eager', name: 'Eager model' });
  return app.call('models.import', { folder });
}

describe('provenance', () => {
  it('a new version imported over the old folder leaves old results naming the version and file that made them', async () => {
    const app = await world.open();
    const before = await world.drop('before.png', 200);
    await app.event('capture.updated', done(before));
    const first = (await app.call('captures.get', { sha256: before })).results[0]!.model;
    // The same network file, re-released as 2.0.0 under a new name, written into the same folder.
    await writeModelFolder(world.model, tinyModelSpec, { version: '2.0.0', name: 'Renamed model' });
    await app.call('models.import', { folder: world.model });

    const detail = await app.call('captures.get', { sha256: before });
    expect(detail.results.map((r) => r.model)).toEqual([
      { ...first, version: '1.0.0', name: 'Test model (mean brightness)' },
    ]);
    const listed = await app.call('models.list', {});
    expect(listed.map((m) => [m.version, m.name, m.results, m.available])).toEqual([
      ['2.0.0', 'Renamed model', 0, true],
      ['1.0.0', 'Test model (mean brightness)', 1, false],
    ]);
    // Still loaded: it classifies until another model is chosen.
    expect(listed[1]!.problem).toBe(
      `Its folder ${world.model} now holds test-linear-mean 2.0.0: this version classifies new captures only until another model is chosen or MetaScope restarts; 1 result still names it.`,
    );
    await app.call('models.activate', { id: 'test-linear-mean', version: '2.0.0' });
    const retired = async () => (await app.call('models.list', {})).find((m) => m.version === '1.0.0')!;
    expect(await retired()).toMatchObject({
      active: false,
      available: false,
      results: 1,
      problem: `Its folder ${world.model} now holds test-linear-mean 2.0.0, so this version can no longer classify; 1 result still names it.`,
    });
    rmSync(world.model, { recursive: true });
    expect((await retired()).problem).toBe(
      `Its folder ${world.model} is gone (moved or deleted), so it can no longer classify; 1 result still names it.`,
    );
    expect((await app.call('captures.get', { sha256: before })).results.map((r) => r.model)).toEqual(
      detail.results.map((r) => r.model),
    );
  });

  it('refuses a different file under an id and version already installed, in a sentence', async () => {
    const app = await world.open();
    const impostor = path.join(world.dir, 'impostor');
    await writeModelFolder(impostor, { ...tinyModelSpec, bias: [-3] });
    const refused = await app.respond('models.import', { folder: impostor });
    expect(refused).toMatchObject({ ok: false, error: { code: 'conflict' } });
    expect(!refused.ok && refused.error.message).toMatch(
      /^A different model file is already installed as test-linear-mean 1\.0\.0 .* Give the new file a new version number/,
    );
  });
});

describe('the Models screen', () => {
  it('shows the card and measured numbers, counts results, and removes only a model no result names', async () => {
    const shipped = path.join(world.shipped, 'default');
    await writeModelFolder(shipped, tinyModelSpec, { id: 'shipped-default' });
    writeFileSync(path.join(shipped, 'MODEL_CARD.md'), '# Shipped model\n\nFor **tests** only.\n');
    writeFileSync(
      path.join(shipped, 'metrics.json'),
      JSON.stringify({ cv: { metrics: { roc_auc: { value: 0.9, ci95: [0.8, 0.95] } } } }),
    );
    const app = await world.open();
    const bright = await world.drop('bright.png', 220);
    await app.event('capture.updated', done(bright));
    const eager = await eagerModel(app);

    const listed = await app.call('models.list', {});
    const byId = new Map(listed.map((m) => [m.id, m]));
    expect(byId.get('shipped-default')!.card).toEqual({
      blocks: [
        { kind: 'heading', level: 1, text: 'Shipped model' },
        {
          kind: 'paragraph',
          spans: [
            { text: 'For ', strong: false, code: false },
            { text: 'tests', strong: true, code: false },
            { text: ' only.', strong: false, code: false },
          ],
        },
      ],
      measured: [{ name: 'roc auc', value: 0.9, low: 0.8, high: 0.95 }],
    });
    expect([...byId].map(([id, m]) => [id, m.results])).toEqual([
      ['shipped-default', 0],
      ['test-linear-mean', 1],
      ['test-eager', 0],
    ]);

    const active = ref(byId.get('test-linear-mean')!);
    expect(await app.respond('models.remove', active)).toMatchObject({
      ok: false,
      error: {
        code: 'in-use',
        message: 'test-linear-mean 1.0.0 is classifying new captures: choose another model first.',
      },
    });
    expect(await app.respond('models.remove', ref(byId.get('shipped-default')!))).toMatchObject({
      ok: false,
      error: {
        code: 'built-in',
        message: 'Test model (mean brightness) ships with MetaScope and cannot be removed.',
      },
    });
    await app.call('models.activate', { id: 'test-eager', version: '1.0.0' });
    expect(await app.respond('models.remove', active)).toMatchObject({
      ok: false,
      error: { code: 'in-use', message: expect.stringMatching(/^test-linear-mean 1\.0\.0 made 1 result; /) },
    });
    await app.call('models.activate', { id: 'test-linear-mean', version: '1.0.0' });
    expect(await app.call('models.remove', ref(eager))).toEqual({ removed: true });
    expect((await app.call('models.list', {})).map((m) => m.id)).toEqual([
      'shipped-default',
      'test-linear-mean',
    ]);
  });
});

describe('re-running a second model', () => {
  it('adds its results beside the first model’s, with progress, and the comparison lists where they differ', async () => {
    const app = await world.open();
    const { dark, middle, bright } = await classifiedThree(app);
    const eager = await eagerModel(app);
    const started = await app.call('models.rerun', { model: ref(eager), filter: {} });
    expect(started).toMatchObject({ state: 'running', total: 3, done: 0 });
    const finished = await app.event('rerun.progress', (p) => p.state === 'finished');
    expect(finished).toMatchObject({ total: 3, done: 3, failed: 0, lastProblem: null });

    const detail = await app.call('captures.get', { sha256: middle });
    expect(detail.results.map((r) => [r.model.id, r.model.name, r.class]).sort()).toEqual([
      ['test-eager', 'Eager model', 'bright'],
      ['test-linear-mean', 'Test model (mean brightness)', 'dim'],
    ]);
    // The capture is still shown with the active model's result: the re-run sits beside it.
    expect(detail.results[0]!.model.id).toBe('test-linear-mean');
    expect(detail.capture).toMatchObject({ class: 'dim', model: { id: 'test-linear-mean' } });
    expect((await app.call('captures.recent', { limit: 10 })).map((r) => r.model?.id)).toEqual([
      'test-linear-mean',
      'test-linear-mean',
      'test-linear-mean',
    ]);
    expect((await app.call('history.query', { filter: {} })).total).toBe(6);
    expect((await app.call('history.query', { filter: { modelId: 'test-eager' } })).total).toBe(3);

    const active = (await app.call('app.status', {})).model!;
    const comparison = await app.call('models.compare', { a: ref(active), b: ref(eager) });
    expect(comparison).toMatchObject({
      labelsA: ['bright', 'dim'],
      labelsB: ['bright', 'dim'],
      counts: [
        [1, 0],
        [1, 1],
      ],
      total: 3,
      agreed: 2,
    });
    // Only the middle capture changes class; the others agree within the probability gap.
    expect(comparison.disagreements.map((d) => d.sha256)).toEqual([middle]);
    expect(comparison.disagreements[0]).toMatchObject({ classA: 'dim', classB: 'bright' });
    for (const sha256 of [dark, bright])
      expect((await app.call('captures.get', { sha256 })).results.map((r) => r.model.id).sort()).toEqual([
        'test-eager',
        'test-linear-mean',
      ]);
  });

  it('tells which capture could not be re-run and why, and leaves it as it was', async () => {
    const app = await world.open();
    const { dark } = await classifiedThree(app);
    const eager = await eagerModel(app);
    rmSync(path.join(world.inbox, 'dark.png'));
    await app.call('models.rerun', { model: ref(eager), filter: {} });
    const end = await app.event('rerun.progress', (p) => p.state === 'finished');
    expect(end).toMatchObject({ total: 3, done: 2, failed: 1 });
    expect(end.lastProblem).toMatch(
      /^dark\.png: The capture file is no longer where it was found \(moved or deleted\)/,
    );
    const detail = await app.call('captures.get', { sha256: dark });
    expect(detail.capture.state).toBe('done');
    expect(detail.results.map((r) => r.model.id)).toEqual(['test-linear-mean']);
  });

  it('a capture copied in during a re-run is classified by the active model, and is not part of the re-run', async () => {
    const app = await world.open();
    await classifiedThree(app);
    await app.call('settings.update', { batchSize: 1 });
    const eager = await eagerModel(app);
    await app.call('models.rerun', { model: ref(eager), filter: {} });
    const late = await world.drop('late.png', 240);
    const row = await app.event('capture.updated', done(late));
    expect(row.model?.id).toBe('test-linear-mean');
    await app.event('rerun.progress', (p) => p.state === 'finished');
    // The late capture was not in the re-run's choice: it has the active model's result only.
    expect((await app.call('captures.get', { sha256: late })).results.map((r) => r.model.id)).toEqual([
      'test-linear-mean',
    ]);
  });

  it('works through a folder only, stops when cancelled, and refuses a second run or the same file', async () => {
    const app = await world.open();
    await classifiedThree(app);
    await app.call('settings.update', { batchSize: 1 });
    const eager = await eagerModel(app);
    const inbox = (await app.call('folders.list', {})).find((f) => f.isInbox)!;
    await app.call('models.rerun', { model: ref(eager), filter: { folderId: inbox.id } });
    expect(await app.respond('models.rerun', { model: ref(eager), filter: {} })).toMatchObject({
      ok: false,
      error: { code: 'busy', message: 'A re-run is already going: wait for it to finish or cancel it.' },
    });
    expect(await app.call('models.cancelRerun', {})).toEqual({ cancelled: true });
    const end: RerunProgress = await app.event('rerun.progress', (p) => p.state !== 'running');
    expect(end.state).toBe('cancelled');
    expect(end.done).toBeLessThan(3);

    await writeModelFolder(path.join(world.dir, 'twin'), tinyModelSpec, { version: '1.1.0' });
    const twin = await app.call('models.import', { folder: path.join(world.dir, 'twin') });
    expect(await app.respond('models.rerun', { model: ref(twin), filter: {} })).toMatchObject({
      ok: false,
      error: {
        code: 'same-file',
        message: expect.stringMatching(
          /^test-linear-mean 1\.1\.0 is the same model file as test-linear-mean 1\.0\.0/,
        ),
      },
    });
  });
});
