import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noPostgresReason, postgresBin, startTestPostgres, type TestPostgres } from '../facility/testing/postgres.js';
import { sha } from '../store/testing/fixtures.js';
import { postgresBackEnd, sqliteBackEnd } from './testing/back-ends.js';
import { historyStoreSuite, seed } from './testing/shared-suite.js';

const bin = postgresBin();
if (!bin) console.warn(noPostgresReason);
let server: TestPostgres | undefined;
beforeAll(async () => {
  if (bin) server = await startTestPostgres();
});
afterAll(async () => {
  await server?.stop();
});

historyStoreSuite('SQLite, a workstation', sqliteBackEnd);
historyStoreSuite('PostgreSQL, a facility', () => postgresBackEnd(server!), !bin);

const time = { key: 'time', direction: 'asc' } as const;
const all = { offset: 0, limit: 100 };

describe.skipIf(!bin)('the facility history', () => {
  it('lists a capture seen at two workstations once, with both, and narrows by workstation and microscope', async () => {
    const backEnd = await postgresBackEnd(server!);
    try {
      await backEnd.add(seed);
      await backEnd.add([{ sha256: sha(2), path: '/share/copy/cell_02.tif', workstation: 'bench-2', microscope: 'Zeiss' }]);
      const { history } = backEnd;
      expect(await history.places()).toEqual({ workstations: ['bench-1', 'bench-2'], microscopes: ['Nikon', 'Zeiss'] });
      const two = (await history.forCapture(sha(2)))[0]!;
      expect(two.places).toEqual({ workstations: ['bench-1', 'bench-2'], microscopes: ['Zeiss'] });
      expect(two.paths).toEqual(['/lab/b/cell_02.tif', '/share/copy/cell_02.tif']);
      const at = async (filter: { workstation?: string; microscope?: string }) =>
        (await history.page(filter, time, all)).rows.map((r) => Number.parseInt(r.sha256, 16));
      expect(await at({ workstation: 'bench-2' })).toEqual([2, 7, 8, 9, 10]);
      expect(await at({ microscope: 'Nikon' })).toEqual([3, 6, 9]);
      expect(await at({ workstation: 'bench-1', microscope: 'Nikon' })).toEqual([3, 6]);
      expect((await history.page({ workstation: 'bench-2' }, time, all)).total).toBe(5);
      expect(await history.classCounts({ workstation: 'nowhere' }, 'day', 'UTC')).toEqual([]);
    } finally {
      await backEnd.close();
    }
  });

  it('refuses a review without a reviewer, and a folder filter, in a sentence', async () => {
    const backEnd = await postgresBackEnd(server!);
    try {
      await backEnd.add(seed);
      await expect(backEnd.history.addReview({ sha256: sha(1), label: 'infected', reviewer: ' ' })).rejects.toThrow(
        /every review names its reviewer: give your name in Settings/,
      );
      await expect(backEnd.history.page({ folderId: 1 }, time, all)).rejects.toThrow(/narrow the facility history by workstation/);
    } finally {
      await backEnd.close();
    }
  });
});

describe('a workstation’s own history', () => {
  it('knows no workstations or microscopes: a facility filter matches nothing', async () => {
    const backEnd = await sqliteBackEnd();
    try {
      await backEnd.add(seed);
      expect(await backEnd.history.places()).toEqual({ workstations: [], microscopes: [] });
      expect((await backEnd.history.page({}, time, all)).total).toBe(10);
      expect(await backEnd.history.page({ workstation: 'bench-1' }, time, all)).toEqual({ rows: [], total: 0 });
      expect(await backEnd.history.histogram({ microscope: 'Zeiss' }, 4)).toEqual([0, 0, 0, 0]);
    } finally {
      await backEnd.close();
    }
  });
});
