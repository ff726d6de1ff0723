import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir, writeCapture } from '../capture/testing/images.js';
import { listLabelledCaptures, matchClassFolders, nameKey } from './labelled-folder.js';

const temp = makeTempDir();
afterAll(temp.remove);

describe('class folder names', () => {
  it('ignore case, spaces and punctuation', () => {
    expect(nameKey('HEK293A')).toBe(nameKey('HEK-293A'));
    expect(nameKey('ht_1080')).toBe(nameKey('HT1080'));
    expect(nameKey('Wild type (control)')).toBe(nameKey('wild-type control'));
    expect(nameKey('HT1080')).not.toBe(nameKey('HT1081'));
  });

  it('match accented letters however the file system stored them', () => {
    expect(nameKey('Zellen-\u00e9')).toBe(nameKey('zellen e\u0301'));
  });

  it('sort folders into classes; report those that match none or several', () => {
    const match = matchClassFolders(
      ['HEK293A', 'ht_1080', 'ht-1080 (repeat)', 'unknown', 'a-b'],
      ['HEK-293A', 'HT1080', 'CHO', 'AB', 'a_b'],
    );
    expect(match.folders).toEqual([['HEK293A'], ['ht_1080'], [], [], []]);
    expect(match.unmatched).toEqual(['ht-1080 (repeat)', 'unknown']);
    expect(match.ambiguous).toEqual([{ folder: 'a-b', classes: ['AB', 'a_b'] }]);
  });
});

describe('listLabelledCaptures', () => {
  it('labels each capture by its class folder, subfolders included, hidden folders and other files left out', async () => {
    const root = path.join(temp.dir, 'labelled');
    for (const folder of ['HEK293A', 'ht_1080/day 2', '.thumbnails', 'notes'])
      mkdirSync(path.join(root, folder), { recursive: true });
    const hek = writeCapture(path.join(root, 'HEK293A'), 'a.tif', 'x');
    const ht = writeCapture(path.join(root, 'ht_1080/day 2'), 'b.png', 'x');
    writeCapture(path.join(root, 'HEK293A'), 'readme.txt', 'x');
    writeCapture(root, 'loose.png', 'x');

    const labelled = await listLabelledCaptures(root, ['HEK-293A', 'HT1080', 'CHO']);
    expect(labelled.captures).toEqual([
      { path: hek, truth: 0 },
      { path: ht, truth: 1 },
    ]);
    expect(labelled.folders).toEqual([['HEK293A'], ['ht_1080'], []]);
    expect(labelled.unmatched).toEqual(['notes']);
    expect(labelled.problems).toEqual([]);
  });

  it("throws the file system's error for a folder that is not there", async () => {
    await expect(listLabelledCaptures(path.join(temp.dir, 'nowhere'), ['a', 'b'])).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });
});
