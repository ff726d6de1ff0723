import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodePixels, readCaptureInfo, type CapturePixels, type PixelRequest } from './decode.js';
import { CaptureError, type CaptureErrorCode } from './errors.js';
import {
  encode,
  foreignHeaders,
  greyImage,
  multiPageTiff,
  noiseBytes,
  rawImage,
  type RawImage,
} from './testing/images.js';

/** Header, then pixels at native depth in the capture's own colour, as the engine does it. */
async function decode(bytes: Uint8Array, request: Partial<PixelRequest> = {}): Promise<CapturePixels> {
  const info = await readCaptureInfo(bytes, { maxPixels: request.maxPixels });
  return decodePixels(bytes, info, { colour: info.colour, ...request });
}

/** The error a capture is refused with (fails the test if it is accepted). */
async function refusal(bytes: Uint8Array, request: Partial<PixelRequest> = {}): Promise<CaptureError> {
  const error = await decode(bytes, request).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CaptureError);
  return error as CaptureError;
}

async function expectRefused(
  bytes: Uint8Array,
  code: CaptureErrorCode,
  mentions: RegExp,
  request: Partial<PixelRequest> = {},
) {
  const error = await refusal(bytes, request);
  expect(error.code).toBe(code);
  expect(error.message).toMatch(mentions);
  // A sentence for people: starts with a capital, ends with a full stop, no stack or C++ names.
  expect(error.message).toMatch(/^[A-Z].*[.)]$/s);
}

/** A pattern that uses every value of a 12-bit range, so a decoder keeping only 8 bits cannot match it. */
const twelveBit = (x: number, y: number) => (y * 64 + x) % 4096;
/** Distinct, uneven values per channel. */
const pattern = (max: number) => (x: number, y: number, c: number) =>
  ((x * 37 + y * 101 + c * 53) * 7919) % (max + 1);

const withoutAlpha = (image: RawImage): number[] => {
  const colour = image.channels === 2 || image.channels === 4 ? image.channels - 1 : image.channels;
  const out: number[] = [];
  for (let i = 0; i < image.width * image.height; i++) {
    for (let c = 0; c < colour; c++) out.push(image.data[i * image.channels + c]!);
  }
  return out;
};

describe('decoding lossless captures keeps every sample', () => {
  const cases: Array<{ format: 'tiff' | 'png' | 'webp'; channels: RawImage['channels']; bitDepth: 8 | 16 }> =
    [];
  for (const format of ['tiff', 'png'] as const) {
    for (const channels of [1, 2, 3, 4] as const) {
      for (const bitDepth of [8, 16] as const) cases.push({ format, channels, bitDepth });
    }
  }
  // WebP stores RGB or RGBA, 8-bit only.
  cases.push({ format: 'webp', channels: 3, bitDepth: 8 }, { format: 'webp', channels: 4, bitDepth: 8 });

  it.each(cases)('$format, $channels channel(s), $bitDepth-bit', async ({ format, channels, bitDepth }) => {
    const image = rawImage(6, 4, channels, bitDepth, pattern(bitDepth === 16 ? 4095 : 255));
    const bytes = await encode(image, format);

    const info = await readCaptureInfo(bytes);
    expect(info).toEqual({
      format,
      width: 6,
      height: 4,
      bitDepth,
      channels,
      colour: channels <= 2 ? 'grey' : 'rgb',
      hasAlpha: channels === 2 || channels === 4,
      pages: 1,
    });

    const pixels = await decodePixels(bytes, info, { colour: info.colour });
    expect(pixels).toMatchObject({ width: 6, height: 4, bitDepth, channels: channels <= 2 ? 1 : 3 });
    expect(pixels.data).toBeInstanceOf(bitDepth === 16 ? Uint16Array : Uint8Array);
    expect(Array.from(pixels.data)).toEqual(withoutAlpha(image));
  });
});

describe('16-bit captures', () => {
  it('keeps all 4096 levels of 12-bit data in a 16-bit TIFF', async () => {
    const image = greyImage(64, 64, 16, twelveBit);
    const pixels = await decode(await encode(image, 'tiff'));
    expect(pixels.bitDepth).toBe(16);
    expect(Array.from(pixels.data)).toEqual(Array.from(image.data));
    expect(new Set(pixels.data).size).toBe(4096);
  });

  it('keeps 16-bit PNG values above 4095 as well', async () => {
    const image = greyImage(4, 2, 16, (x, y) => [0, 1, 255, 256, 4096, 30000, 65534, 65535][y * 4 + x]!);
    const pixels = await decode(await encode(image, 'png'));
    expect(Array.from(pixels.data)).toEqual([0, 1, 255, 256, 4096, 30000, 65534, 65535]);
  });
});

describe('JPEG', () => {
  it('reads a grey JPEG as 8-bit grey, close to the written values', async () => {
    const image = greyImage(16, 8, 8, (x) => (x < 8 ? 60 : 180));
    const bytes = await encode(image, 'jpeg');
    expect(await readCaptureInfo(bytes)).toMatchObject({
      format: 'jpeg',
      bitDepth: 8,
      channels: 1,
      colour: 'grey',
      pages: 1,
    });
    const pixels = await decode(bytes);
    // JPEG is lossy: away from the edge between the halves, values stay within a few levels.
    expect(pixels.data[0 * 16 + 1]).toBeGreaterThanOrEqual(57);
    expect(pixels.data[0 * 16 + 1]).toBeLessThanOrEqual(63);
    expect(pixels.data[7 * 16 + 14]).toBeGreaterThanOrEqual(177);
    expect(pixels.data[7 * 16 + 14]).toBeLessThanOrEqual(183);
  });

  it('reads an RGB JPEG as 3 channels', async () => {
    const image = rawImage(8, 8, 3, 8, (_x, _y, c) => [200, 100, 30][c]!);
    const pixels = await decode(await encode(image, 'jpeg'));
    expect(pixels.channels).toBe(3);
    const [r, g, b] = Array.from(pixels.data.slice(27 * 3, 27 * 3 + 3));
    expect(Math.abs(r! - 200)).toBeLessThanOrEqual(4);
    expect(Math.abs(g! - 100)).toBeLessThanOrEqual(4);
    expect(Math.abs(b! - 30)).toBeLessThanOrEqual(4);
  });
});

describe('multi-page TIFF', () => {
  const pages = [1, 2, 3].map((p) => greyImage(4, 3, 16, (x, y) => p * 1000 + y * 4 + x));

  it('reports the page count and the size of one page', async () => {
    expect(await readCaptureInfo(await multiPageTiff(pages))).toMatchObject({
      pages: 3,
      width: 4,
      height: 3,
      bitDepth: 16,
    });
  });

  it.each([0, 1, 2])('page %i decodes to that page’s own values', async (page) => {
    const pixels = await decode(await multiPageTiff(pages), { page });
    expect(pixels).toMatchObject({ width: 4, height: 3 });
    expect(Array.from(pixels.data)).toEqual(Array.from(pages[page]!.data));
  });

  it('refuses a page beyond the last, naming how many there are', async () => {
    await expectRefused(await multiPageTiff(pages), 'no-such-page', /Page 4 .*3 pages/, { page: 3 });
    await expectRefused(await multiPageTiff(pages.slice(0, 2)), 'no-such-page', /Page 3 .*2 pages/, {
      page: 2,
    });
  });

  it('says "only one page" for a single-page file', async () => {
    await expectRefused(await encode(pages[0]!, 'tiff'), 'no-such-page', /Page 2 .*only one page/, {
      page: 1,
    });
  });
});

describe('colour conversion on decode', () => {
  it('repeats grey into R, G and B when RGB is asked for, at 16 bits', async () => {
    const image = greyImage(4, 2, 16, (x, y) => 500 * (y * 4 + x) + 7);
    const bytes = await encode(image, 'tiff');
    const info = await readCaptureInfo(bytes);
    const pixels = await decodePixels(bytes, info, { colour: 'rgb' });
    expect(pixels.channels).toBe(3);
    expect(Array.from(pixels.data)).toEqual(Array.from(image.data).flatMap((v) => [v, v, v]));
  });
});

describe('bad input is refused with a code and a sentence', () => {
  const truncated = async (format: 'jpeg' | 'tiff' | 'png' | 'webp') => {
    const bytes = await encode(rawImage(64, 64, format === 'webp' ? 3 : 1, 8, pattern(255)), format);
    return bytes.subarray(0, Math.floor(bytes.length / 2));
  };

  it('an empty file', async () => {
    await expectRefused(new Uint8Array(0), 'empty', /empty \(0 bytes\)/);
  });

  it.each([
    ['JPEG', 'jpeg'],
    ['TIFF', 'tiff'],
    ['PNG', 'png'],
    ['WebP', 'webp'],
  ] as const)('a truncated %s file is corrupt, not a half-grey image', async (name, format) => {
    await expectRefused(
      await truncated(format),
      'corrupt',
      new RegExp(`looks like a ${name} image but its data is damaged or incomplete`),
    );
  });

  it('a JPEG cut after its header: the header reads, the pixels must not', async () => {
    const bytes = await truncated('jpeg');
    await expect(readCaptureInfo(bytes)).resolves.toMatchObject({ width: 64, height: 64 });
    await expectRefused(bytes, 'corrupt', /JPEG/);
  });

  it('random bytes', async () => {
    await expectRefused(noiseBytes(500), 'not-an-image', /not an image .* \(TIFF, PNG, JPEG or WebP\)/);
  });

  it('a text file', async () => {
    await expectRefused(
      Buffer.from('Exported by ZEN 3.4\nwidth=512\nheight=512\n'),
      'not-an-image',
      /not an image/,
    );
  });

  it.each(Object.entries(foreignHeaders))(
    '%s is recognised by its signature and named',
    async (name, bytes) => {
      await expectRefused(
        bytes,
        'unsupported-format',
        new RegExp(`This is a ${name} file, which MetaScope cannot read yet`),
      );
    },
  );

  it('a real GIF written by sharp is named as GIF', async () => {
    const gif = await encode(rawImage(4, 4, 3, 8, pattern(255)), 'gif');
    await expectRefused(gif, 'unsupported-format', /This is a GIF file/);
  });

  it('a float TIFF is refused as unsupported pixels', async () => {
    const float = await sharp(new Float32Array([0.1, 0.2, 0.3, 0.4]), {
      raw: { width: 2, height: 2, channels: 1 },
    })
      .tiff({ compression: 'lzw', predictor: 'float' })
      .toBuffer();
    await expectRefused(float, 'unsupported-pixels', /"float" samples/);
  });

  it('a capture with more pixels than the limit, before decoding', async () => {
    const bytes = await encode(
      greyImage(10, 10, 8, () => 1),
      'png',
    );
    await expectRefused(bytes, 'too-large', /10 × 10 pixels, more than the limit of 99 pixels/, {
      maxPixels: 99,
    });
    await expect(decode(bytes, { maxPixels: 100 })).resolves.toMatchObject({ width: 10, height: 10 });
  });
});
