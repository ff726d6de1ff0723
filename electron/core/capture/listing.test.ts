import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listCaptures } from './listing.js';
import { makeTempDir, writeCapture } from './testing/images.js';

describe('listCaptures', () => {
  const temp = makeTempDir();
  const root = temp.dir;
  const at = (...parts: string[]) => path.join(root, ...parts);

  beforeAll(() => {
    // Contents do not matter to the listing: it goes by names.
    for (const name of [
      'b.png',
      'a.tif',
      'C.JPG',
      'notes.txt',
      '.hidden.tif',
      '~$a.tif',
      'd.tif.part',
      'e.tmp',
    ]) {
      writeCapture(root, name, 'x');
    }
    mkdirSync(at('sub', 'deeper'), { recursive: true });
    writeCapture(at('sub'), 'f.tiff', 'x');
    writeCapture(at('sub', 'deeper'), 'g.webp', 'x');
    mkdirSync(at('.thumbnails'));
    writeCapture(at('.thumbnails'), 'h.png', 'x');
  });
  afterAll(temp.remove);

  it('takes capture files from a folder, sorted, without hidden, temporary or other files', async () => {
    expect(await listCaptures([root])).toEqual({
      files: [at('a.tif'), at('b.png'), at('C.JPG')],
      problems: [],
    });
  });

  it('goes into subfolders only when recursive, never into hidden ones', async () => {
    const { files } = await listCaptures([root], { recursive: true });
    expect(files).toEqual([
      at('a.tif'),
      at('b.png'),
      at('C.JPG'),
      at('sub', 'deeper', 'g.webp'),
      at('sub', 'f.tiff'),
    ]);
  });

  it('keeps a file named explicitly, whatever its name, so it gets its own explanation', async () => {
    const { files } = await listCaptures([at('notes.txt'), at('sub')]);
    expect(files).toEqual([at('notes.txt'), at('sub', 'f.tiff')]);
  });

  it('reports a path that does not exist as a problem and lists the rest', async () => {
    const missing = at('no-such-folder');
    expect(await listCaptures([missing, at('a.tif')])).toEqual({
      files: [at('a.tif')],
      problems: [{ path: missing, reason: 'No such file or folder.' }],
    });
  });

  it.skipIf(process.platform === 'win32')('refuses a named pipe with a sentence instead of waiting for it forever', async () => {
    const pipe = at('live.tif');
    execFileSync('mkfifo', [pipe]);
    expect(await listCaptures([pipe, at('a.tif')])).toEqual({
      files: [at('a.tif')],
      problems: [{ path: pipe, reason: 'This is not a file but a named pipe, device or socket, so it holds no capture.' }],
    });
  });
});
