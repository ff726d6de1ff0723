import { createHash } from 'node:crypto';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashFile, readCaptureContent } from './identity.js';
import { makeTempDir, writeCapture } from './testing/images.js';

describe('readCaptureContent', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => temp.remove());

  it('gives the SHA-256 of the content, in hex', async () => {
    const file = writeCapture(temp.dir, 'abc.txt', 'abc');
    // FIPS 180-2's test vector for "abc".
    expect(await readCaptureContent(file)).toEqual({
      bytes: Buffer.from('abc'),
      sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    });
  });

  it('reads and hashes a file of several chunks, the last one short, exactly', async () => {
    const field = Buffer.from(new Uint8Array(3 * 1024 * 1024 + 12_345).map((_, i) => (i * 31) % 251));
    const file = writeCapture(temp.dir, 'field.tif', field);
    const content = await readCaptureContent(file);
    expect(content.bytes.equals(field)).toBe(true);
    expect(content.sha256).toBe(createHash('sha256').update(field).digest('hex'));
    expect(await hashFile(file)).toBe(content.sha256);
  });

  it('hashes an empty file as empty content', async () => {
    const file = writeCapture(temp.dir, 'empty.tif', '');
    const content = await readCaptureContent(file);
    expect(content.bytes.length).toBe(0);
    expect(content.sha256).toBe(createHash('sha256').digest('hex'));
  });

  it('fails as reading the file would, with its error code', async () => {
    await expect(readCaptureContent(path.join(temp.dir, 'gone.tif'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(readCaptureContent(temp.dir)).rejects.toMatchObject({ code: 'EISDIR' });
  });
});
