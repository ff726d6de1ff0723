import { describe, expect, it } from 'vitest';
import { isCaptureFileName, isTemporaryName, sniffFormat } from './formats.js';
import { encode, foreignHeaders, rawImage } from './testing/images.js';

const image = rawImage(4, 4, 3, 8, (x, y, c) => x * 60 + y * 10 + c);

describe('sniffFormat', () => {
  it.each([
    ['tiff', 'TIFF'],
    ['png', 'PNG'],
    ['jpeg', 'JPEG'],
    ['webp', 'WebP'],
  ] as const)('names a real %s file as supported', async (format, name) => {
    expect(sniffFormat(await encode(image, format))).toEqual({ name, supported: format });
  });

  it('knows big-endian TIFF and BigTIFF', () => {
    expect(sniffFormat(Buffer.from('MM\0*\0\0\0\x08', 'latin1'))).toEqual({
      name: 'TIFF',
      supported: 'tiff',
    });
    expect(sniffFormat(Buffer.from('II+\0\x08\0\0\0', 'latin1'))).toEqual({
      name: 'BigTIFF',
      supported: 'tiff',
    });
  });

  it.each(Object.entries(foreignHeaders))('names %s as not supported', (name, bytes) => {
    expect(sniffFormat(bytes)).toEqual({ name, supported: null });
  });

  it('names other common non-captures', async () => {
    const dicom = Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), Buffer.alloc(16)]);
    expect(sniffFormat(dicom)?.name).toBe('DICOM');
    expect(sniffFormat(Buffer.from('%PDF-1.7\n'))?.name).toBe('PDF');
    expect(sniffFormat(Buffer.from('PK\x03\x04rest', 'latin1'))?.name).toBe('ZIP archive');
    expect(sniffFormat(await encode(image, 'gif'))).toEqual({ name: 'GIF', supported: null });
  });

  it('returns null for text and for a few bytes that only start like a format', () => {
    expect(sniffFormat(Buffer.from('hello, microscope'))).toBeNull();
    expect(sniffFormat(Buffer.from([0xff, 0xd8]))).toBeNull(); // JPEG needs three bytes
    expect(sniffFormat(Buffer.from('BM'))).toBeNull(); // shorter than a BMP header
    expect(sniffFormat(new Uint8Array(0))).toBeNull();
  });
});

describe('file names', () => {
  it.each([
    '.DS_Store',
    '._cell.tif',
    '~$cell.tif',
    'cell.tif.part',
    'cell.tmp',
    'cell.TIF.crdownload',
    'x.partial',
    'y.download',
  ])('%s is temporary or hidden', (name) => {
    expect(isTemporaryName(name)).toBe(true);
    expect(isCaptureFileName(name)).toBe(false);
  });

  it.each(['cell.tif', 'cell.TIFF', 'well A1.png', 'x.JPG', 'x.jpeg', 'x.webp'])(
    '%s is a capture name',
    (name) => {
      expect(isCaptureFileName(name)).toBe(true);
    },
  );

  it.each(['notes.txt', 'stack.czi', 'tif', 'cell.tif.bak', 'image.bmp'])(
    '%s is not a capture name',
    (name) => {
      expect(isCaptureFileName(name)).toBe(false);
    },
  );
});
