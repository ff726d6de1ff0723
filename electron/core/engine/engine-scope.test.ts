import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode, greyImage } from '../capture/testing/images.js';
import { writeScopedModel } from '../model/testing/scoped-model.js';
import { engineWorld, sha256Of, type Driven, type EngineWorld } from './testing/engine-world.js';

/** Out-of-scope results through the engine: stored with their reason, left out of counts, reviewed first. */

let world: EngineWorld;
let app: Driven;
const shas = { inside: '', far: '', fluorescence: '' };

async function drop(name: string, bytes: Buffer): Promise<string> {
  writeFileSync(path.join(world.inbox, name), bytes);
  const sha = sha256Of(bytes);
  await app.event('capture.updated', (r) => r.sha256 === sha && r.state === 'done');
  return sha;
}

beforeAll(async () => {
  world = await engineWorld();
  const model = path.join(world.dir, 'scoped');
  await writeScopedModel(model);
  app = await world.open({ modelFolder: model });
  const ramp = (centre: number) => encode(greyImage(16, 16, 8, (x) => centre - 30 + x * 4), 'png');
  shas.inside = await drop('inside.png', await ramp(0.7 * 255));
  shas.far = await drop('far.png', await ramp(0.5 * 255));
  shas.fluorescence = await drop('spots.png', await encode(greyImage(16, 16, 8, (x, y) => (x > 12 && y > 12 ? 250 : 10 + ((x + y) % 3))), 'png'));
});
afterAll(async () => {
  await world.cleanup();
});

describe('scope', () => {
  it('stores each verdict with its score, threshold, method and reason', async () => {
    const inside = await app.call('captures.get', { sha256: shas.inside });
    expect(inside.capture.scope).toMatchObject({ inScope: true, method: 'feature-distance', threshold: 3, reason: null });
    const far = await app.call('captures.get', { sha256: shas.far });
    expect(far.capture.scope).toMatchObject({ inScope: false, method: 'feature-distance' });
    expect(far.results[0]!.scope.reason).toMatch(/unlike anything the model was trained on/);
    const spots = await app.call('captures.get', { sha256: shas.fluorescence });
    expect(spots.capture.scope?.reason).toMatch(/The cells look brighter than the background/);
  });

  it('leaves out-of-scope results out of the counts unless asked for', async () => {
    const total = (stats: { classCounts: { count: number }[] }) => stats.classCounts.reduce((n, c) => n + c.count, 0);
    expect(total(await app.call('history.stats', { filter: {} }))).toBe(1);
    expect(total(await app.call('history.stats', { filter: { inScope: false } }))).toBe(2);
    const out = await app.call('history.query', { filter: { inScope: false } });
    expect(out.rows.map((r) => r.sha256).sort()).toEqual([shas.far, shas.fluorescence].sort());
  });

  it('puts what the model could not judge first in the review queue, and takes "not a cell / other"', async () => {
    const queue = await app.call('reviews.queue', {});
    expect(queue.rows.slice(0, 2).every((r) => r.scope?.inScope === false)).toBe(true);
    expect(queue.rows[2]!.sha256).toBe(shas.inside);
    await app.call('reviews.add', { sha256: shas.far, label: 'Not a cell / other' });
    expect((await app.call('captures.get', { sha256: shas.far })).capture.review?.label).toBe('Not a cell / other');
  });

  it('exports the verdict in the CSV', async () => {
    const { csv } = await app.call('history.exportCsv', { filter: {} });
    const header = csv.split('\n')[0]!.split(',');
    expect(header).toEqual(expect.arrayContaining(['in_scope', 'scope_score', 'scope_threshold', 'scope_method', 'scope_reason', 'uncertain']));
    expect(csv).toMatch(/The cells look brighter than the background/);
  });
});
