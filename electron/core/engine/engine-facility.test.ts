import os from 'node:os';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { noPostgresReason, postgresBin, startTestPostgres, type TestPostgres } from '../facility/testing/postgres.js';
import { postgresBackEnd, type BackEnd } from '../history-store/testing/back-ends.js';
import { seed } from '../history-store/testing/shared-suite.js';
import { insertResult } from '../facility/results.js';
import { cellAt, fieldResult, resultFor, sha } from '../store/testing/fixtures.js';
import { CallError, engineWorld, type Driven, type EngineWorld } from './testing/engine-world.js';

/** The app (or serve) showing a facility's history: every workstation's results, reviewed by anyone. */

const bin = postgresBin();
if (!bin) console.warn(noPostgresReason);

describe.skipIf(!bin)('the engine on a facility history', () => {
  let server: TestPostgres;
  let facility: BackEnd & { address: string };
  let world: EngineWorld;
  let app: Driven;
  beforeAll(async () => {
    server = await startTestPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });
  beforeEach(async () => {
    facility = await postgresBackEnd(server);
    await facility.add(seed);
    world = await engineWorld();
  });
  afterEach(async () => {
    await world.cleanup();
    await facility.close();
  });

  const reviewers = async () => {
    const client = new pg.Client({ connectionString: facility.address });
    await client.connect();
    try {
      const rows = await client.query(
        'SELECT c.sha256, v.label, v.reviewer, v.withdraws IS NOT NULL AS undo FROM metascope.reviews v JOIN metascope.captures c ON c.id = v.capture_id ORDER BY v.id',
      );
      return rows.rows.map((r) => [Number.parseInt(r.sha256, 16), r.label, r.reviewer, r.undo]);
    } finally {
      await client.end();
    }
  };

  it('lists every workstation’s results, narrows by workstation and microscope, and takes reviews with the reviewer’s name', async () => {
    app = await world.open({ facility: { address: facility.address, passwordFile: null } });
    expect((await app.call('app.status', {})).history).toEqual({ scope: 'facility', facility: facility.address, sendsCaptures: false });
    expect(await app.call('history.places', {})).toEqual({ workstations: ['bench-1', 'bench-2'], microscopes: ['Nikon', 'Zeiss'] });

    const all = await app.call('history.query', { filter: {}, sort: { key: 'time', direction: 'asc' } });
    expect(all.total).toBe(10);
    expect(all.rows[0]).toMatchObject({ sha256: sha(1), workstations: ['bench-1'], microscopes: ['Zeiss'], folderId: null });
    const bench2 = await app.call('history.query', { filter: { workstation: 'bench-2', microscope: 'Nikon' } });
    expect(bench2.rows.map((r) => r.sha256)).toEqual([sha(9)]);

    await expect(app.call('reviews.add', { sha256: sha(9), label: 'infected' })).rejects.toThrow(/names its reviewer/);
    const review = await app.call('reviews.add', { sha256: sha(9), label: 'infected', reviewer: 'Ada' });
    const updated = await app.event('capture.updated', (row) => row.sha256 === sha(9));
    expect(updated).toMatchObject({ finalLabel: 'infected', class: 'healthy', workstations: ['bench-2'] });
    expect((await app.call('history.query', { filter: { className: 'infected', workstation: 'bench-2' } })).total).toBe(3);
    await app.call('reviews.withdraw', { id: review.id, reviewer: 'Grace' });
    expect(await reviewers()).toEqual([
      [9, 'infected', 'Ada', false],
      [9, '', 'Grace', true],
    ]);
    // Its page: the facility's result and everyone's reviews; its picture is at bench-2, not here.
    const detail = await app.call('captures.get', { sha256: sha(9) });
    expect(detail.capture).toMatchObject({ here: false, workstations: ['bench-2'], finalLabel: 'healthy' });
    expect(detail.reviews.map((r) => [r.reviewer, r.withdrawnAt !== null])).toEqual([['Ada', true]]);
    const queue = await app.call('reviews.queue', {});
    expect(queue.rows[0]).toMatchObject({ sha256: sha(4), scope: { inScope: false } });

    const stats = await app.call('history.stats', { filter: { workstation: 'bench-1' }, timeZone: 'UTC' });
    expect(stats.classCounts.reduce((n, c) => n + c.count, 0)).toBe(5); // capture 4 is out of scope
    const csv = await app.call('history.exportCsv', { filter: { microscope: 'Nikon' } });
    expect(csv.rows).toBe(3);
    expect(csv.csv).toContain('cell_06.tif');
    // A field's cells, one row each, from the facility.
    await facility.add([
      { sha256: sha(12), path: '/lab/a/field.tif', workstation: 'bench-2', result: fieldResult(12, [cellAt(40, 'healthy'), cellAt(90, 'infected')]) },
    ]);
    const perCell = await app.call('history.exportCsv', { filter: { analysis: 'find-cells' }, cells: true });
    expect(perCell.rows).toBe(2);
    expect((await app.call('captures.get', { sha256: sha(12) })).cells.map((c) => c.class)).toEqual(['healthy', 'infected']);

    await expect(app.call('history.query', { filter: { status: 'failed' } })).rejects.toThrow(/each workstation’s own/);
    await expect(app.call('history.query', { filter: { folderId: 1 } })).rejects.toThrow(/by workstation or microscope/);

    // Opened on a facility by serve --facility (nothing saved), Settings can still go back to its own.
    await app.call('settings.update', { facility: null });
    expect((await app.call('app.status', {})).history.scope).toBe('workstation');
  });

  it('switches between the facility’s history and its own from Settings, keeping the choice, and refuses one it cannot use', async () => {
    app = await world.open();
    expect((await app.call('app.status', {})).history).toEqual({ scope: 'workstation', facility: null, sendsCaptures: false });
    await expect(
      app.call('settings.update', { facility: { address: 'postgres://someone:secret@localhost/x', passwordFile: null } }),
    ).rejects.toThrow(/must not contain a password/);
    const unset = `${facility.address.replace(/\/[^/]*$/, '')}/no_such_database`;
    const refused = app.call('settings.update', { facility: { address: unset, passwordFile: null } });
    await expect(refused).rejects.toThrow(CallError);
    await expect(refused).rejects.toThrow(/cannot be used: .*no_such_database/);
    expect((await app.call('settings.get', {})).facility).toBeNull();

    await app.call('settings.update', { facility: { address: facility.address, passwordFile: null } });
    expect((await app.call('history.query', { filter: {} })).total).toBe(10);
    await app.close();

    // The next start opens the facility's history again.
    app = await world.open();
    expect((await app.call('app.status', {})).history.scope).toBe('facility');
    await app.call('settings.update', { facility: null });
    expect((await app.call('app.status', {})).history.scope).toBe('workstation');
    expect((await app.call('history.query', { filter: {} })).total).toBe(0);
  });

  it('shows its own history, and says why, when the facility is out of reach at start', async () => {
    const address = `${facility.address.replace(/\/[^/]*$/, '')}/no_such_database`;
    app = await world.open({ facility: { address, passwordFile: null } });
    expect((await app.call('app.status', {})).history.scope).toBe('workstation');
    const notice = await app.event('notice', (n) => n.message.includes('no_such_database'));
    expect(notice.message).toMatch(/This workstation’s own history is shown instead\./);
  });

  it('sends this workstation’s captures to the facility’s workers when Settings ask, and classifies them here again after', async () => {
    app = await world.open();
    await app.call('settings.update', {
      facility: { address: facility.address, passwordFile: null, sendCaptures: true, microscope: 'Leica' },
    });
    expect((await app.call('app.status', {})).history).toMatchObject({ scope: 'facility', sendsCaptures: true });
    const sent = await world.drop('sent.png', 120);
    await app.event('capture.updated', (row) => row.sha256 === sent && row.state === 'done');
    const client = new pg.Client({ connectionString: facility.address });
    await client.connect();
    try {
      const queued = await client.query(
        `SELECT c.state, s.workstation, s.microscope, j.data->>'analysis' AS analysis
         FROM metascope.captures c JOIN metascope.capture_sightings s ON s.capture_id = c.id
         JOIN pgboss.job j ON j.data->>'sha256' = c.sha256 WHERE c.sha256 = $1`,
        [sent],
      );
      expect(queued.rows).toEqual([{ state: 'queued', workstation: os.hostname(), microscope: 'Leica', analysis: 'auto' }]);
    } finally {
      await client.end();
    }
    // Sent, not classified here: the facility's workers will.
    expect((await app.call('captures.get', { sha256: sent })).capture.class).toBeNull();
    // A worker's result arrives in the facility: the windows are told, and Live shows it.
    const worker = new pg.Client({ connectionString: facility.address });
    await worker.connect();
    try {
      await worker.query('SET search_path TO metascope');
      await insertResult(worker, resultFor(sent, { className: 'healthy', probability: 0.8 }), 'gpu-1');
    } finally {
      await worker.end();
    }
    const arrived = await app.event('capture.updated', (row) => row.sha256 === sent && row.class !== null);
    expect(arrived).toMatchObject({ class: 'healthy', workstations: [os.hostname()], microscopes: ['Leica'], here: true });
    const [live] = await app.call('captures.recent', { limit: 10 });
    expect(live).toMatchObject({ sha256: sent, class: 'healthy' });

    await app.call('settings.update', { facility: null });
    const here = await world.drop('here.png', 200);
    const classified = await app.event('capture.updated', (row) => row.sha256 === here && row.state === 'done');
    expect(classified.class).not.toBeNull();
  });
});
