import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { agreementOf } from '../evaluate/agreement.js';
import { modelKey, modelNamed, ModelConflictError, ModelInUseError } from './models.js';
import { openStore } from './store.js';
import { addFile, modelA, registerModel, resultFor, sha, tempDirs } from './testing/fixtures.js';

const dirs = tempDirs();
afterEach(dirs.cleanup);

const openFresh = () => openStore(path.join(dirs.make(), 'metascope.db'));
/** Version 2 of modelA's id: the same network file, re-released with other preprocessing. */
const sameFileV2 = { ...modelA, version: '2.0.0' };
const modelB = { id: 'other', version: '1.0.0', sha256: 'b'.repeat(64) };

describe('models', () => {
  it('refuses a different file under an existing id and version, in a sentence', () => {
    const store = openFresh();
    registerModel(store);
    expect(() => registerModel(store, { ...modelA, sha256: 'f'.repeat(64) })).toThrow(ModelConflictError);
    expect(() => registerModel(store, { ...modelA, sha256: 'f'.repeat(64) })).toThrow(
      /A different model file is already installed as cells 1\.0\.0 .* new version number/,
    );
    expect(store.models.list().map(modelKey)).toEqual([modelKey(modelA)]);
    store.close();
  });

  it('keeps the name a model was first registered under and follows its folder', () => {
    const store = openFresh();
    store.models.register({ ...modelA, name: 'Cells', classes: ['healthy', 'infected'], folder: '/old' });
    store.models.register({ ...modelA, name: 'Cells, reworded', classes: ['a', 'b'], folder: '/moved' });
    expect(store.models.get(modelA)).toMatchObject({
      name: 'Cells',
      classes: ['healthy', 'infected'],
      folder: '/moved',
    });
    store.close();
  });

  it('never re-attributes a result: the same file under a new version leaves the old result as it was', () => {
    const store = openFresh();
    registerModel(store);
    registerModel(store, sameFileV2);
    addFile(store, '/in/a.tif', sha(1));
    store.captures.saveOutcomes([resultFor(sha(1), { probability: 0.7 })], []);
    store.captures.saveOutcomes(
      [resultFor(sha(1), { model: sameFileV2, probability: 0.2, className: 'healthy' })],
      [],
    );
    const [only] = store.history.forCapture(sha(1));
    expect(only).toMatchObject({ model: modelA, probability: 0.7, className: 'infected' });
    // The same model again replaces its own result.
    store.captures.saveOutcomes([resultFor(sha(1), { probability: 0.8 })], []);
    expect(store.history.forCapture(sha(1)).map((r) => [r.model.version, r.probability])).toEqual([
      ['1.0.0', 0.8],
    ]);
    store.close();
  });

  it('counts results per model file and removes only a model no result names', () => {
    const store = openFresh();
    registerModel(store);
    registerModel(store, modelB);
    addFile(store, '/in/a.tif', sha(1));
    store.captures.saveOutcomes([resultFor(sha(1))], []);
    expect(store.models.resultCounts()).toEqual(new Map([[modelKey(modelA), 1]]));
    expect(() => store.models.remove(modelA)).toThrow(ModelInUseError);
    expect(() => store.models.remove(modelA)).toThrow(/cells 1\.0\.0 made 1 result; .* stays listed/);
    expect(store.models.remove(modelB)).toBe(true);
    expect(store.models.list().map((m) => m.id)).toEqual(['cells']);
    store.close();
  });

  it('finds a model by id or id@version, and says which to choose when an id has several', () => {
    const store = openFresh();
    registerModel(store);
    registerModel(store, sameFileV2);
    registerModel(store, modelB);
    const models = store.models.list();
    expect(modelNamed(models, 'other')).toMatchObject(modelB);
    expect(modelNamed(models, 'cells@2.0.0')).toMatchObject(sameFileV2);
    expect(() => modelNamed(models, 'cells')).toThrow(
      'cells names 2 models (cells@1.0.0, cells@2.0.0): name one as id@version.',
    );
    expect(() => modelNamed(models, 'nope')).toThrow(
      /No model in the database is called nope\. Known models: cells@1\.0\.0/,
    );
    store.close();
  });
});

describe('comparison', () => {
  it('pairs the captures both models classified (in a folder when asked) and tables their agreement', () => {
    const store = openFresh();
    registerModel(store);
    registerModel(store, modelB);
    const folder = store.folders.add('/lab', { recursive: false });
    const classes = (n: number, a: [string, number], b: [string, number]) => {
      addFile(store, `/lab/${n}.tif`, sha(n), n <= 3 ? folder.id : null);
      store.captures.saveOutcomes(
        [
          resultFor(sha(n), {
            className: a[0],
            probability: a[1],
            probabilities: { healthy: 1 - a[1], infected: a[1] },
          }),
          resultFor(sha(n), {
            model: modelB,
            className: b[0],
            probability: b[1],
            probabilities: { healthy: 1 - b[1], infected: b[1] },
          }),
        ],
        [],
      );
    };
    classes(1, ['infected', 0.9], ['infected', 0.85]);
    classes(2, ['infected', 0.6], ['healthy', 0.45]);
    classes(3, ['infected', 0.95], ['infected', 0.6]);
    classes(4, ['healthy', 0.1], ['infected', 0.99]);
    addFile(store, '/lab/only-a.tif', sha(5));
    store.captures.saveOutcomes([resultFor(sha(5))], []);

    const all = agreementOf(store.comparison.pairs(modelA, modelB));
    expect(all).toMatchObject({
      labelsA: ['healthy', 'infected'],
      labelsB: ['healthy', 'infected'],
      counts: [
        [0, 1],
        [1, 2],
      ],
      total: 4,
      agreed: 2,
      fraction: 0.5,
    });
    // Another class first, the larger gap first; 3.tif agrees on the class but is 0.35 apart; 1.tif is not listed.
    expect(all.disagreements.map((d) => d.fileName)).toEqual(['4.tif', '2.tif', '3.tif']);
    expect(all.disagreements[0]!.difference).toBeCloseTo(0.89, 6);
    expect(all.interval![0]).toBeLessThan(0.5);
    expect(all.interval![1]).toBeGreaterThan(0.5);

    // A re-run's results leave the capture's state and its place in the intake alone.
    const before = store.captures.get(sha(5))!;
    store.captures.addResults([resultFor(sha(5), { model: modelB, probability: 0.3, className: 'healthy' })]);
    expect(store.captures.get(sha(5))).toEqual(before);
    expect(store.history.forCapture(sha(5)).map((r) => r.model.id).sort()).toEqual(['cells', 'other']);

    const inFolder = agreementOf(store.comparison.pairs(modelA, modelB, folder.id));
    expect(inFolder.total).toBe(3);
    expect(inFolder.disagreements.map((d) => d.fileName)).toEqual(['2.tif', '3.tif']);
    expect(store.history.capturesMatching({ folderId: folder.id })).toEqual([sha(1), sha(2), sha(3)]);
    store.close();
  });
});
