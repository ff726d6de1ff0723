import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../core/capture/testing/images.js';
import { openStore } from '../core/store/store.js';
import { addFile, resultFor, sha } from '../core/store/testing/fixtures.js';
import { compareCommand, type CompareOptions } from './compare.js';
import { runCli } from './testing/run-cli.js';
import { UsageError } from './usage.js';

const temp = makeTempDir();
const database = path.join(temp.dir, 'metascope.db');
const first = { id: 'cells', version: '1.0.0', sha256: 'a'.repeat(64) };
const second = { id: 'cells', version: '2.0.0', sha256: 'b'.repeat(64) };
const other = { id: 'other', version: '1.0.0', sha256: 'c'.repeat(64) };

/** Three captures in /lab (one where the versions differ in class), one outside it where they differ too. */
beforeAll(() => {
  const store = openStore(database);
  for (const model of [first, second, other])
    store.models.register({
      ...model,
      name: `Cells ${model.version}`,
      classes: ['healthy', 'infected'],
      folder: `/m/${model.version}`,
    });
  const lab = store.folders.add('/lab', { recursive: false });
  const both = (n: number, folderId: number | null, pA: number, pB: number) => {
    addFile(store, `/${folderId ? 'lab' : 'elsewhere'}/${n}.tif`, sha(n), folderId);
    const verdict = (model: typeof first, p: number) =>
      resultFor(sha(n), {
        model,
        className: p >= 0.5 ? 'infected' : 'healthy',
        probability: Math.max(p, 1 - p),
        probabilities: { healthy: 1 - p, infected: p },
      });
    store.captures.saveOutcomes([verdict(first, pA), verdict(second, pB)], []);
  };
  both(1, lab.id, 0.9, 0.95);
  both(2, lab.id, 0.2, 0.7);
  both(3, lab.id, 0.1, 0.05);
  both(4, null, 0.8, 0.3);
  store.close();
});
afterAll(temp.remove);

async function compare(options: Partial<CompareOptions>): Promise<string> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk));
  expect(
    await compareCommand(
      { db: database, model: ['cells@1.0.0', 'cells@2.0.0'], format: 'table', ...options },
      out,
    ),
  ).toBe(0);
  return text;
}

describe('metascope compare', () => {
  it('prints the agreement table, the agreement with its interval, and where the models differ, most first', async () => {
    expect(await compare({})).toBe(
      [
        'A: cells 1.0.0 (Cells 1.0.0)',
        'B: cells 2.0.0 (Cells 2.0.0)',
        '4 captures classified by both; they agree on 2: 50.0% (95% interval 15.0% to 85.0%).',
        '',
        'A \\ B        healthy  infected',
        'healthy            1         1',
        'infected           1         1',
        '',
        'Where they differ, most first (A class p, B class p, difference in p of A’s class):',
        '  2.tif: healthy 0.800, infected 0.700, 0.500',
        '  4.tif: infected 0.800, healthy 0.700, 0.500',
        '',
      ].join('\n'),
    );
  });

  it('narrows to a watched folder, and writes JSON', async () => {
    const json = JSON.parse(await compare({ folder: '/lab', format: 'json' })) as Record<string, unknown>;
    expect(json).toMatchObject({
      a: first,
      b: second,
      total: 3,
      agreed: 2,
      labelsA: ['healthy', 'infected'],
      counts: [
        [1, 1],
        [0, 1],
      ],
    });
  });

  it('says in a sentence what is wrong with the models or the folder asked for', async () => {
    await expect(compare({ model: ['cells', 'other'] })).rejects.toThrow(
      new UsageError('cells names 2 models (cells@1.0.0, cells@2.0.0): name one as id@version.'),
    );
    await expect(compare({ model: ['cells@1.0.0'] })).rejects.toThrow(/Name exactly two models to compare/);
    await expect(compare({ folder: '/nowhere' })).rejects.toThrow(
      '/nowhere is not a watched folder. Watched folders: /lab.',
    );
    expect(await compare({ model: ['cells@1.0.0', 'other'] })).toMatch(
      /No capture was classified by both models\.\n$/,
    );
  });

  it('runs from the command line with --model given twice', async () => {
    const { code, stdout, stderr } = await runCli([
      'compare',
      '--db',
      database,
      '--model',
      'cells@1.0.0',
      '--model',
      'cells@2.0.0',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/they agree on 2: 50\.0%/);
    const wrong = await runCli(['compare', '--db', database, '--model', 'nope', '--model', 'other']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/No model in the database is called nope\./);
  });
});
