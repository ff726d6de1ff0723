import { describe, expect, it } from 'vitest';
import { readCaptureInfo } from '../capture/decode.js';
import { CaptureError } from '../capture/errors.js';
import { encode, greyImage, multiPageTiff, rawImage, type RawImage } from '../capture/testing/images.js';
import { parseManifest, type ModelManifest } from './manifest.js';
import { Preprocessor } from './preprocess.js';

type Input = Partial<ModelManifest['input']>;
type Preprocessing = Partial<ModelManifest['preprocessing']>;

/** A manifest for a W×H model input; only input and preprocessing matter here. */
function manifest(input: Input, preprocessing: Preprocessing = {}): ModelManifest {
  return parseManifest(
    {
      id: 'preprocess-test',
      name: 'Preprocessing test',
      version: '1',
      onnx: { sha256: '0'.repeat(64) },
      input: { name: 'image', layout: 'NCHW', width: 8, height: 8, channels: 1, dtype: 'float32', ...input },
      preprocessing: {
        resize: 'stretch',
        intensity: { mode: 'bit-depth' },
        mean: [0],
        std: [1],
        ...preprocessing,
      },
      output: { name: 'logit', activation: 'sigmoid' },
      classes: ['a', 'b'],
    },
    'in the test',
  );
}

/** Encodes the image, then prepares it for the model as the pipeline does. */
async function prepare(
  image: RawImage | Buffer,
  input: Input,
  preprocessing: Preprocessing = {},
  page?: number,
) {
  const bytes = Buffer.isBuffer(image) ? image : await encode(image, image.bitDepth === 16 ? 'tiff' : 'png');
  const info = await readCaptureInfo(bytes);
  return new Preprocessor(manifest(input, preprocessing)).prepare(bytes, info, { page });
}

/** The tensor as 8-bit levels (bit-depth scaling, mean 0, std 1), row by row. */
const levels = (tensor: Float32Array): number[] => Array.from(tensor, (v) => Math.round(v * 255));
const row = (values: number[], width: number, y: number) => values.slice(y * width, (y + 1) * width);
const repeat = (value: number, n: number) => new Array<number>(n).fill(value);

describe('resize', () => {
  // 48 × 8, three vertical bands: 16 columns of 40, 16 of 200, 16 of 100. The model takes 24 × 8.
  const bands = greyImage(48, 8, 8, (x) => (x < 16 ? 40 : x < 32 ? 200 : 100));

  it('center-crop: keeps the scale (height already fits) and cuts 12 columns from each side', async () => {
    const { tensor } = await prepare(bands, { width: 24, height: 8 }, { resize: 'center-crop' });
    // Columns 12..35 of the capture: 4 of 40, 16 of 200, 4 of 100, on every row.
    const expected = [...repeat(40, 4), ...repeat(200, 16), ...repeat(100, 4)];
    for (let y = 0; y < 8; y++) expect(row(levels(tensor), 24, y)).toEqual(expected);
  });

  it('stretch: squeezes all 48 columns into 24, each band to 8 columns', async () => {
    const { tensor } = await prepare(bands, { width: 24, height: 8 }, { resize: 'stretch' });
    const values = levels(tensor);
    // The resampling kernel blurs across a band edge; away from the edges each band keeps its value.
    for (let y = 0; y < 8; y++) {
      const r = row(values, 24, y);
      expect(r.slice(0, 5)).toEqual(repeat(40, 5));
      expect(r.slice(11, 13)).toEqual(repeat(200, 2));
      expect(r.slice(19)).toEqual(repeat(100, 5));
    }
  });

  it('fit: scales to 24 × 4 and pads two black rows above and below', async () => {
    const { tensor } = await prepare(bands, { width: 24, height: 8 }, { resize: 'fit' });
    const values = levels(tensor);
    for (const y of [0, 1, 6, 7]) expect(row(values, 24, y)).toEqual(repeat(0, 24));
    for (const y of [2, 3, 4, 5]) {
      const r = row(values, 24, y);
      expect(r.slice(0, 5)).toEqual(repeat(40, 5));
      expect(r.slice(11, 13)).toEqual(repeat(200, 2));
      expect(r.slice(19)).toEqual(repeat(100, 5));
    }
  });

  it('leaves a capture already at the model’s size untouched', async () => {
    const image = greyImage(4, 2, 8, (x, y) => 30 * (y * 4 + x) + 1);
    const { tensor } = await prepare(image, { width: 4, height: 2 });
    expect(levels(tensor)).toEqual([1, 31, 61, 91, 121, 151, 181, 211]);
  });
});

describe('intensity scaling', () => {
  // 8 × 8 16-bit capture holding 12-bit data: pixel i = 1000 + 50 · i, from 1000 to 4150.
  const ramp = greyImage(8, 8, 16, (x, y) => 1000 + 50 * (y * 8 + x));

  it('bit-depth: divides 8-bit data by 255 and 16-bit data by 65535', async () => {
    const eight = await prepare(
      greyImage(8, 8, 8, () => 51),
      {},
    );
    expect(eight.window).toEqual({ low: 0, high: 255 });
    expect(eight.tensor[0]).toBeCloseTo(0.2, 6);
    const sixteen = await prepare(ramp, {});
    expect(sixteen.window).toEqual({ low: 0, high: 65535 });
    expect(sixteen.tensor[0]).toBeCloseTo(1000 / 65535, 6);
    expect(sixteen.tensor[63]).toBeCloseTo(4150 / 65535, 6);
  });

  it('fixed: maps min..max to 0..1 and clips beyond', async () => {
    const { tensor, window } = await prepare(ramp, {}, { intensity: { mode: 'fixed', min: 0, max: 4095 } });
    expect(window).toEqual({ low: 0, high: 4095 });
    expect(tensor[0]).toBeCloseTo(1000 / 4095, 6);
    expect(tensor[40]).toBeCloseTo(3000 / 4095, 6);
    expect(tensor[61]).toBeCloseTo(4050 / 4095, 6);
    expect(tensor[62]).toBe(1); // 4100 > 4095
    expect(tensor[63]).toBe(1);
  });

  it('percentile: maps the capture’s own low..high percentiles to 0..1', async () => {
    const { tensor, window } = await prepare(
      ramp,
      {},
      { intensity: { mode: 'percentile', low: 10, high: 90 } },
    );
    // 64 values: ranks floor(0.1 · 63) = 6 → 1300 and floor(0.9 · 63) = 56 → 3800.
    expect(window).toEqual({ low: 1300, high: 3800 });
    expect(tensor[0]).toBe(0);
    expect(tensor[6]).toBe(0);
    expect(tensor[31]).toBeCloseTo((2550 - 1300) / 2500, 6);
    expect(tensor[56]).toBe(1);
    expect(tensor[63]).toBe(1);
  });
});

describe('mean and std', () => {
  // RGB (51, 102, 204) is (0.2, 0.4, 0.8) after bit-depth scaling.
  const colour = rawImage(8, 8, 3, 8, (_x, _y, c) => [51, 102, 204][c]!);
  const planes = (tensor: Float32Array) =>
    [0, 1, 2].map((c) => Array.from(tensor.subarray(c * 64, (c + 1) * 64)));

  it('per channel', async () => {
    const { tensor } = await prepare(colour, { channels: 3 }, { mean: [0.1, 0.2, 0.3], std: [0.5, 0.25, 2] });
    const [r, g, b] = planes(tensor);
    // (0.2 − 0.1) / 0.5, (0.4 − 0.2) / 0.25, (0.8 − 0.3) / 2
    r!.forEach((v) => expect(v).toBeCloseTo(0.2, 6));
    g!.forEach((v) => expect(v).toBeCloseTo(0.8, 6));
    b!.forEach((v) => expect(v).toBeCloseTo(0.25, 6));
  });

  it('one value for all channels', async () => {
    const { tensor } = await prepare(colour, { channels: 3 }, { mean: [0.5], std: [0.5] });
    const [r, g, b] = planes(tensor);
    expect(r![0]).toBeCloseTo(-0.6, 6);
    expect(g![0]).toBeCloseTo(-0.2, 6);
    expect(b![0]).toBeCloseTo(0.6, 6);
  });
});

describe('colour', () => {
  const grey = greyImage(4, 2, 16, (x, y) => 500 * (y * 4 + x));

  it('repeats a grey capture into R, G and B for a 3-channel model', async () => {
    const { tensor } = await prepare(
      grey,
      { width: 4, height: 2, channels: 3 },
      { intensity: { mode: 'fixed', min: 0, max: 3500 } },
    );
    const plane = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => (500 * i) / 3500);
    const expected = [...plane, ...plane, ...plane];
    expect(tensor).toHaveLength(24);
    Array.from(tensor).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
  });

  it('refuses a grey capture for a colour model with grayToRgb: false', async () => {
    const error = await prepare(grey, { width: 4, height: 2, channels: 3 }, { grayToRgb: false }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CaptureError);
    expect((error as CaptureError).code).toBe('wrong-channels');
    expect((error as CaptureError).message).toBe(
      'The model "Preprocessing test" needs colour (RGB) images and this capture is greyscale.',
    );
  });

  it('folds RGB to luminance for a 1-channel model (Rec. 709 in linear light, sRGB-encoded)', async () => {
    const colours = [
      [255, 0, 0],
      [0, 255, 0],
      [0, 0, 255],
      [128, 128, 128],
      [200, 100, 50],
      [255, 255, 255],
    ];
    const image = rawImage(6, 1, 3, 8, (x, _y, c) => colours[x]![c]!);
    const { tensor } = await prepare(image, { width: 6, height: 1, channels: 1 });
    const linear = (v: number) => (v / 255 <= 0.04045 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4);
    const encoded = (y: number) => 255 * (y <= 0.0031308 ? 12.92 * y : 1.055 * y ** (1 / 2.4) - 0.055);
    // red ≈ 127.1, green ≈ 219.9, blue ≈ 76.0, grey 128, (200, 100, 50) ≈ 128.1, white 255
    const expected = colours.map(([r, g, b]) =>
      encoded(0.2126 * linear(r!) + 0.7152 * linear(g!) + 0.0722 * linear(b!)),
    );
    levels(tensor).forEach((level, i) => expect(Math.abs(level - expected[i]!)).toBeLessThanOrEqual(1));
  });
});

describe('layout', () => {
  // 4 × 2 RGB, pixel i has samples (10i, 10i + 1, 10i + 2): every sample distinct.
  const image = rawImage(4, 2, 3, 8, (x, y, c) => 10 * (y * 4 + x) + c);
  const pixels = [0, 1, 2, 3, 4, 5, 6, 7];

  it('NCHW: one plane per channel', async () => {
    const { tensor } = await prepare(image, { width: 4, height: 2, channels: 3, layout: 'NCHW' });
    expect(levels(tensor)).toEqual([0, 1, 2].flatMap((c) => pixels.map((i) => 10 * i + c)));
  });

  it('NHWC: channels interleaved per pixel', async () => {
    const { tensor } = await prepare(image, { width: 4, height: 2, channels: 3, layout: 'NHWC' });
    expect(levels(tensor)).toEqual(pixels.flatMap((i) => [0, 1, 2].map((c) => 10 * i + c)));
  });
});

describe('pages', () => {
  const pages = [0, 1, 2].map((p) => greyImage(8, 8, 16, () => 1000 * (p + 1)));

  it('takes the page named in the manifest, unless the job names one', async () => {
    const tiff = await multiPageTiff(pages);
    const fixed = { intensity: { mode: 'fixed', min: 0, max: 4000 } } as const;
    expect((await prepare(tiff, {}, fixed)).tensor[0]).toBeCloseTo(0.25, 6);
    expect((await prepare(tiff, {}, { ...fixed, page: 1 })).tensor[0]).toBeCloseTo(0.5, 6);
    expect((await prepare(tiff, {}, { ...fixed, page: 1 }, 2)).tensor[0]).toBeCloseTo(0.75, 6);
  });
});
