import sharp, { type TiffOptions } from 'sharp';
import { describe, expect, it } from 'vitest';
import { readPixelSize } from './pixel-size.js';
import { encode, greyImage, noiseBytes } from './testing/images.js';

const grey = greyImage(8, 8, 8, (x, y) => x * 30 + y);

/** An 8×8 8-bit grey TIFF written with sharp; `tiff` sets its resolution tags. */
function sharpTiff(tiff: TiffOptions = {}, density?: number): Promise<Buffer> {
  const image = sharp(grey.data, { raw: { width: 8, height: 8, channels: 1 } });
  return (density ? image.withMetadata({ density }) : image).tiff({ compression: 'lzw', ...tiff }).toBuffer();
}

interface HandMade {
  description?: string;
  /** XResolution as numerator / denominator. */
  xResolution?: [number, number];
  resolutionUnit?: number;
  order?: 'II' | 'MM';
  bigTiff?: boolean;
}

/**
 * A 2×2 8-bit grey TIFF, byte by byte, with the tags a microscope export writes: sharp cannot set an
 * ImageDescription. Layout: header, one directory, then the values that do not fit in an entry.
 */
function handMadeTiff({
  description,
  xResolution,
  resolutionUnit,
  order = 'II',
  bigTiff = false,
}: HandMade): Uint8Array {
  const little = order === 'II';
  const text = description === undefined ? undefined : new TextEncoder().encode(`${description}\0`);
  type Entry = { tag: number; type: number; count: number; value: number | Uint8Array };
  const entries: Entry[] = [
    { tag: 256, type: 3, count: 1, value: 2 },
    { tag: 257, type: 3, count: 1, value: 2 },
    { tag: 258, type: 3, count: 1, value: 8 },
    { tag: 262, type: 3, count: 1, value: 1 },
    ...(text ? [{ tag: 270, type: 2, count: text.length, value: text }] : []),
    { tag: 273, type: 4, count: 1, value: 0 }, // the strip's offset, filled in below
    { tag: 277, type: 3, count: 1, value: 1 },
    { tag: 279, type: 4, count: 1, value: 4 },
  ];
  if (xResolution) {
    const rational = new Uint8Array(8);
    const view = new DataView(rational.buffer);
    view.setUint32(0, xResolution[0], little);
    view.setUint32(4, xResolution[1], little);
    entries.push(
      { tag: 282, type: 5, count: 1, value: rational },
      { tag: 283, type: 5, count: 1, value: rational },
    );
  }
  if (resolutionUnit !== undefined) entries.push({ tag: 296, type: 3, count: 1, value: resolutionUnit });
  entries.sort((a, b) => a.tag - b.tag);

  const [headerSize, countSize, entrySize, inline] = bigTiff ? [16, 8, 20, 8] : [8, 2, 12, 4];
  const directoryEnd = headerSize + countSize + entries.length * entrySize + (bigTiff ? 8 : 4);
  const outside = entries.filter((e) => e.value instanceof Uint8Array && e.value.length > inline);
  const extraSize = outside.reduce((sum, e) => sum + (e.value as Uint8Array).length, 0);
  const bytes = new Uint8Array(directoryEnd + extraSize + 4);
  const view = new DataView(bytes.buffer);
  const putOffset = (at: number, value: number) =>
    bigTiff ? view.setBigUint64(at, BigInt(value), little) : view.setUint32(at, value, little);
  bytes.set(little ? [0x49, 0x49] : [0x4d, 0x4d]);
  view.setUint16(2, bigTiff ? 43 : 42, little);
  if (bigTiff) view.setUint16(4, 8, little);
  putOffset(bigTiff ? 8 : 4, headerSize);
  if (bigTiff) putOffset(headerSize, entries.length);
  else view.setUint16(headerSize, entries.length, little);
  let extra = directoryEnd;
  entries.forEach((e, i) => {
    const at = headerSize + countSize + i * entrySize;
    const field = at + (bigTiff ? 12 : 8);
    view.setUint16(at, e.tag, little);
    view.setUint16(at + 2, e.type, little);
    if (bigTiff) view.setBigUint64(at + 4, BigInt(e.count), little);
    else view.setUint32(at + 4, e.count, little);
    if (e.tag === 273)
      view.setUint32(field, bytes.length - 4, little); // a LONG, in either kind of TIFF
    else if (e.value instanceof Uint8Array && e.value.length > inline) {
      bytes.set(e.value, extra);
      putOffset(field, extra);
      extra += e.value.length;
    } else if (e.value instanceof Uint8Array) bytes.set(e.value, field);
    else if (e.type === 3) view.setUint16(field, e.value, little);
    else view.setUint32(field, e.value, little);
  });
  bytes.set([0, 80, 160, 240], bytes.length - 4);
  return bytes;
}

const ome = (pixelsAttributes: string) =>
  '<?xml version="1.0" encoding="UTF-8"?><OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06">' +
  `<Image ID="Image:0"><Pixels ID="Pixels:0" DimensionOrder="XYCZT" Type="uint8" SizeX="2" SizeY="2" SizeC="1" SizeZ="1" SizeT="1"${pixelsAttributes}>` +
  '<Channel ID="Channel:0:0"/><TiffData/></Pixels></Image></OME>';

const metaMorph = (props: string) =>
  `<MetaData>\r\n<prop id="Description" type="string" value="Exposure: 50 ms"/>\r\n${props}<prop id="image-name" type="string" value="Stream"/>\r\n</MetaData>`;

describe('readPixelSize', () => {
  it('is tested on hand-made files that are real TIFFs', async () => {
    for (const made of [
      {},
      { order: 'MM' as const },
      { bigTiff: true },
      { bigTiff: true, order: 'MM' as const },
    ]) {
      const bytes = handMadeTiff({
        description: ome(' PhysicalSizeX="0.65"'),
        xResolution: [20000, 1],
        resolutionUnit: 3,
        ...made,
      });
      const { data, info } = await sharp(bytes)
        .toColourspace('b-w')
        .raw()
        .toBuffer({ resolveWithObject: true });
      expect([info.width, info.height, info.channels, ...data]).toEqual([2, 2, 1, 0, 80, 160, 240]);
    }
  });

  it('reads the TIFF resolution tags in centimetres and inches, as sharp writes them', async () => {
    // sharp's xres is in pixels per millimetre: 1000 / 0.65 px/mm is 0.65 µm per pixel.
    expect(
      await readPixelSize(await sharpTiff({ xres: 1000 / 0.65, yres: 1000 / 0.65, resolutionUnit: 'cm' })),
    ).toEqual({
      umPerPixel: expect.closeTo(0.65, 5),
      source: 'tiff-resolution',
    });
    expect(
      await readPixelSize(
        await sharpTiff({ xres: 1000 / 0.325, yres: 1000 / 0.325, resolutionUnit: 'inch' }),
      ),
    ).toEqual({
      umPerPixel: expect.closeTo(0.325, 5),
      source: 'tiff-resolution',
    });
    // 65,000 dpi written as a density is 25400 / 65000 µm.
    expect((await readPixelSize(await sharpTiff({}, 65000)))?.umPerPixel).toBeCloseTo(0.3908, 4);
  });

  it('takes screen and print defaults for "not stated": 72 dpi, 300 dpi, libvips\' 1 px/mm', async () => {
    expect(await readPixelSize(await sharpTiff({}, 72))).toBeNull();
    expect(await readPixelSize(await sharpTiff({}, 300))).toBeNull();
    expect(await readPixelSize(await sharpTiff())).toBeNull(); // sharp writes 25.4 dpi unless told
    expect(await readPixelSize(handMadeTiff({ xResolution: [72, 1], resolutionUnit: 2 }))).toBeNull();
  });

  it('follows TIFF 6.0: no ResolutionUnit is the inch, unit 1 states no size at all', async () => {
    expect(await readPixelSize(handMadeTiff({ xResolution: [50800, 1] }))).toEqual({
      umPerPixel: 0.5,
      source: 'tiff-resolution',
    });
    // The camera's own export (National Instruments IMAQ) writes 1/1 with no unit.
    expect(await readPixelSize(handMadeTiff({ xResolution: [1, 1], resolutionUnit: 1 }))).toBeNull();
    expect(await readPixelSize(handMadeTiff({ xResolution: [20000, 1], resolutionUnit: 1 }))).toBeNull();
    expect(await readPixelSize(handMadeTiff({}))).toBeNull();
    expect(await readPixelSize(handMadeTiff({ xResolution: [20000, 0], resolutionUnit: 3 }))).toBeNull();
  });

  it('reads ImageJ calibration: the unit from the description, pixels per unit from XResolution', async () => {
    // ImageJ writes 1/pixelWidth scaled by 10^6, and ResolutionUnit 1 for any unit but inch and cm.
    const imagej = (unit: string, xResolution: [number, number]) =>
      handMadeTiff({
        description: `ImageJ=1.54f\nunit=${unit}\nmin=0.0\nmax=255.0\n`,
        xResolution,
        resolutionUnit: 1,
      });
    expect(await readPixelSize(imagej('micron', [1538461, 1000000]))).toEqual({
      umPerPixel: expect.closeTo(0.65, 5),
      source: 'imagej',
    });
    expect((await readPixelSize(imagej('um', [2000000, 1000000])))?.umPerPixel).toBe(0.5);
    expect((await readPixelSize(imagej('µm', [2000000, 1000000])))?.umPerPixel).toBe(0.5);
    expect((await readPixelSize(imagej('\\u00B5m', [2000000, 1000000])))?.umPerPixel).toBe(0.5);
    expect((await readPixelSize(imagej('nm', [1000, 650000])))?.umPerPixel).toBeCloseTo(0.65, 9);
    expect(await readPixelSize(imagej('pixel', [1, 1]))).toBeNull();
    // Uncalibrated: ImageJ writes neither a unit nor resolution tags.
    expect(
      await readPixelSize(handMadeTiff({ description: 'ImageJ=1.54f\nmin=0.0\nmax=255.0\n' })),
    ).toBeNull();
  });

  it("reads OME-XML's PhysicalSizeX, in micrometres unless PhysicalSizeXUnit says otherwise", async () => {
    expect(
      await readPixelSize(handMadeTiff({ description: ome(' PhysicalSizeX="0.65" PhysicalSizeY="0.65"') })),
    ).toEqual({
      umPerPixel: 0.65,
      source: 'ome',
    });
    expect(
      await readPixelSize(
        handMadeTiff({ description: ome(' PhysicalSizeX="325" PhysicalSizeXUnit="nm" PhysicalSizeY="325"') }),
      ),
    ).toEqual({ umPerPixel: 0.325, source: 'ome' });
    expect(
      (await readPixelSize(handMadeTiff({ description: ome(' PhysicalSizeXUnit="µm" PhysicalSizeX="1.3"') })))
        ?.umPerPixel,
    ).toBe(1.3);
    // No PhysicalSizeX: the resolution tags may still say it.
    expect(await readPixelSize(handMadeTiff({ description: ome('') }))).toBeNull();
    expect(
      await readPixelSize(handMadeTiff({ description: ome(''), xResolution: [20000, 1], resolutionUnit: 3 })),
    ).toEqual({
      umPerPixel: 0.5,
      source: 'tiff-resolution',
    });
  });

  it('reads OME-XML from big-endian TIFFs and BigTIFFs, as large OME exports are written', async () => {
    const description = ome(' PhysicalSizeX="0.108"');
    expect(await readPixelSize(handMadeTiff({ description, order: 'MM' }))).toEqual({
      umPerPixel: 0.108,
      source: 'ome',
    });
    expect(await readPixelSize(handMadeTiff({ description, bigTiff: true }))).toEqual({
      umPerPixel: 0.108,
      source: 'ome',
    });
    expect(
      await readPixelSize(
        handMadeTiff({ xResolution: [20000, 1], resolutionUnit: 3, bigTiff: true, order: 'MM' }),
      ),
    ).toEqual({
      umPerPixel: 0.5,
      source: 'tiff-resolution',
    });
  });

  it("reads MetaMorph's spatial calibration, unless the calibration is off", async () => {
    const calibrated = metaMorph(
      '<prop id="spatial-calibration-state" type="bool" value="on"/>\r\n' +
        '<prop id="spatial-calibration-x" type="float" value="0.3375"/>\r\n' +
        '<prop id="spatial-calibration-y" type="float" value="0.3375"/>\r\n' +
        '<prop id="spatial-calibration-units" type="string" value="um"/>\r\n',
    );
    expect(await readPixelSize(handMadeTiff({ description: calibrated }))).toEqual({
      umPerPixel: 0.3375,
      source: 'metamorph',
    });
    const off = calibrated.replace('value="on"', 'value="off"');
    expect(await readPixelSize(handMadeTiff({ description: off }))).toBeNull();
    const inMicrons = metaMorph(
      '<prop id="spatial-calibration-x" type="float" value="1.4"/>\r\n<prop id="spatial-calibration-units" value="microns"/>\r\n',
    );
    expect((await readPixelSize(handMadeTiff({ description: inMicrons })))?.umPerPixel).toBe(1.4);
  });

  it('says nothing for files that are not TIFFs or whose directory is cut off', async () => {
    expect(await readPixelSize(await encode(grey, 'png'))).toBeNull();
    expect(await readPixelSize(await encode(grey, 'jpeg'))).toBeNull(); // JFIF says 72 dpi
    expect(await readPixelSize(noiseBytes(256))).toBeNull();
    expect(await readPixelSize(new Uint8Array(0))).toBeNull();
    const whole = handMadeTiff({ description: ome(' PhysicalSizeX="0.65"') });
    expect(await readPixelSize(whole.subarray(0, 40))).toBeNull();
  });
});
