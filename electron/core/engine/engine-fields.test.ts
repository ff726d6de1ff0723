import { writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discField, writeDetectorFolder } from '../cells/testing/detector-folder.js';
import { writeModelFolder } from '../model/testing/model-folder.js';
import { engineWorld, sha256Of, type Driven, type EngineWorld } from './testing/engine-world.js';

/** Whole fields through the engine, as a front end sees them: cells, summaries, windows, plates. */

let world: EngineWorld;
let app: Driven;
let field: string;
const discs = [
  { x: 40, y: 40, radius: 12 },
  { x: 120, y: 60, radius: 12 },
  { x: 70, y: 140, radius: 5 },
];

beforeAll(async () => {
  world = await engineWorld();
  // A 32×32 window: the mean-brightness test model calls a window filled by a large disc bright.
  const model = path.join(world.dir, 'model-32');
  await writeModelFolder(
    model,
    { channels: 1, height: 32, width: 32, weights: [[8]], bias: [-3] },
    {
      preprocessing: { intensity: { mode: 'percentile', low: 0, high: 100 } },
    },
  );
  const detector = path.join(world.dir, 'detector');
  await writeDetectorFolder(detector);
  app = await world.open({ modelFolder: model, detectorFolder: detector });
  const bytes = await discField(200, 180, discs);
  writeFileSync(path.join(world.inbox, 'plate1_B03_s1.tif'), bytes);
  field = sha256Of(bytes);
  const landed = await app.event(
    'capture.updated',
    (r) => r.sha256 === field && (r.state === 'done' || r.state === 'failed'),
  );
  expect(landed.failureReason).toBeNull();
});
afterAll(async () => {
  await world.cleanup();
});

describe('a whole field', () => {
  it('is shown with its summary, and its detail lists each cell with its outline', async () => {
    const detail = await app.call('captures.get', { sha256: field });
    expect(detail.capture).toMatchObject({
      analysis: 'find-cells',
      summary: { cells: 3, counts: { bright: 2, dim: 1 } },
    });
    expect(detail.results[0]).toMatchObject({
      analysis: 'find-cells',
      detector: { id: 'test-bright-discs' },
    });
    expect(detail.cells).toHaveLength(3);
    for (const cell of detail.cells) {
      expect(cell.outline.length).toBeGreaterThan(4);
      expect(cell.box.width).toBeGreaterThan(0);
    }
    const provenance = detail.results[0]!.preprocessing as {
      analysis: { mode: string; crop: { note: string } };
    };
    expect(provenance.analysis.mode).toBe('find-cells');
    expect(provenance.analysis.crop.note).toMatch(/pixel size/);
  });

  it('draws one cell’s window as the classifier saw it', async () => {
    const { cells } = await app.call('captures.get', { sha256: field });
    const image = await app.engine.renderImage(field, { size: 128, format: 'png', cell: cells[0]!.id });
    const meta = await sharp(image.body).metadata();
    expect([meta.width, meta.height]).toEqual([32, 32]);
    await expect(
      app.engine.renderImage('f'.repeat(64), { size: 128, format: 'png', cell: cells[0]!.id }),
    ).rejects.toThrow(/not in the database|not one of/);
  });

  it('takes a review of one cell, "not a cell" included, without marking the capture reviewed', async () => {
    const { cells } = await app.call('captures.get', { sha256: field });
    await app.call('reviews.add', { sha256: field, cellId: cells[2]!.id, label: 'not a cell' });
    const detail = await app.call('captures.get', { sha256: field });
    expect(detail.cells[2]!.review).toMatchObject({ label: 'not a cell' });
    expect(detail.capture.review).toBeNull();
    await expect(app.call('reviews.add', { sha256: field, cellId: 999_999, label: 'x' })).rejects.toThrow(
      /not one of this capture/,
    );
  });

  it('lays the folder out on its plate, and exports one CSV row per cell', async () => {
    const inbox = (await app.call('folders.list', {})).find((f) => f.isInbox)!;
    const plate = await app.call('history.plate', { folderId: inbox.id, className: 'bright' });
    expect(plate).toMatchObject({ rows: 8, columns: 12, unplaced: 0 });
    expect(plate.wells).toEqual([{ well: 'B03', row: 1, column: 2, captures: 1, cells: 3, fraction: 2 / 3 }]);
    const { csv, rows } = await app.call('history.exportCsv', { filter: {}, cells: true });
    expect(rows).toBe(3);
    expect(csv.split('\n')[0]).toMatch(/^file_name,sha256,cell,x,y,.*,review_label,reviewer,review_note,reviewed_at$/);
    // The cell marked "not a cell" above carries that review in the export.
    expect(csv).toMatch(/,not a cell,,,\d{4}-/);
    const perCapture = await app.call('history.exportCsv', { filter: { analysis: 'find-cells' } });
    expect(perCapture.csv).toMatch(/find-cells,3,/);
  });

  it('sorts and filters History by a class’s share of cells', async () => {
    const page = await app.call('history.query', {
      filter: { fractionClass: 'bright', minFraction: 0.5 },
      sort: { key: 'fraction', direction: 'desc' },
    });
    expect(page.rows.map((r) => r.sha256)).toEqual([field]);
    await expect(app.call('history.query', { sort: { key: 'fraction', direction: 'asc' } })).rejects.toThrow(
      /needs that class/,
    );
    const stats = await app.call('history.stats', { filter: {} });
    expect(stats.fractions.find((f) => f.class === 'bright')).toMatchObject({ fraction: 2 / 3, fields: 1 });
  });

  it('a folder set to one cell classifies its next capture whole', async () => {
    const inbox = (await app.call('folders.list', {})).find((f) => f.isInbox)!;
    const updated = await app.call('folders.update', { id: inbox.id, analysis: 'one-cell' });
    expect(updated.analysis).toBe('one-cell');
    const bytes = await discField(200, 180, [{ x: 100, y: 90, radius: 30 }]);
    writeFileSync(path.join(world.inbox, 'whole.tif'), bytes);
    const row = await app.event('capture.updated', (r) => r.sha256 === sha256Of(bytes) && r.state === 'done');
    expect(row).toMatchObject({ analysis: 'one-cell', summary: null });
  });
});
