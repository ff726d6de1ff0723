/**
 * The physical size of a capture's pixels, where its file states it. A classifier's crops must be
 * cut at the pixel size of its training data, so a stated size decides the crop's scale; where the
 * file says nothing, the folder's setting does ('folder-setting', set by the caller, never here).
 *
 * Read from the TIFF's first directory by hand: sharp exposes the resolution tags but not the
 * ImageDescription, where ImageJ, OME and MetaMorph write their calibration. PNG and JPEG
 * densities are print settings (72 or 96 dpi from the camera software), not calibrations.
 */
export interface PixelSize {
  umPerPixel: number;
  source: 'tiff-resolution' | 'imagej' | 'ome' | 'metamorph' | 'folder-setting';
}

/**
 * Pixels coarser than this are print and screen defaults (72 dpi is 353 µm, 300 dpi 85 µm, libvips'
 * 1 px/mm 1000 µm), never a calibration: a pixel as large as a whole cell cannot show one.
 */
const coarsestMicrons = 25;

const micronsPer: Record<string, number> = {
  nm: 1e-3,
  um: 1,
  µm: 1, // micro sign
  μm: 1, // Greek mu
  micron: 1,
  microns: 1,
  micrometer: 1,
  micrometre: 1,
  mm: 1e3,
  cm: 1e4,
  m: 1e6,
  in: 25400,
  inch: 25400,
};

/** The capture's physical pixel size when its file says it; null when it does not. */
export async function readPixelSize(bytes: Uint8Array): Promise<PixelSize | null> {
  const tags = readFirstDirectory(bytes);
  if (!tags) return null;
  const description = tags.description ?? '';
  return (
    fromOme(description) ??
    fromMetaMorph(description) ??
    fromImageJ(description, tags.xResolution) ??
    fromResolution(tags)
  );
}

function stated(umPerPixel: number, source: PixelSize['source']): PixelSize | null {
  return umPerPixel > 0 && umPerPixel <= coarsestMicrons ? { umPerPixel, source } : null;
}

function micronsFor(unit: string): number | undefined {
  return micronsPer[
    unit
      .trim()
      .replace(/\\u00b5/i, 'µ')
      .toLowerCase()
  ];
}

/** OME-XML: the first image's PhysicalSizeX, in PhysicalSizeXUnit (µm when not given). */
function fromOme(description: string): PixelSize | null {
  if (!/<(\w+:)?OME[\s>]/.test(description)) return null;
  const pixels = /<(?:\w+:)?Pixels\s[^>]*>/.exec(description)?.[0] ?? '';
  const size = Number(/\sPhysicalSizeX="([^"]*)"/.exec(pixels)?.[1] ?? Number.NaN);
  const unit = micronsFor(/\sPhysicalSizeXUnit="([^"]*)"/.exec(pixels)?.[1] ?? 'µm');
  return unit === undefined ? null : stated(size * unit, 'ome');
}

/** MetaMorph / MetaXpress: <prop id="spatial-calibration-x" value="…"/>, unless calibration is off. */
function fromMetaMorph(description: string): PixelSize | null {
  if (!description.includes('<MetaData>')) return null;
  const prop = (id: string) =>
    new RegExp(`<prop\\s+id="${id}"[^>]*\\svalue="([^"]*)"`).exec(description)?.[1];
  if (prop('spatial-calibration-state')?.toLowerCase() === 'off') return null;
  const unit = micronsFor(prop('spatial-calibration-units') ?? 'um');
  return unit === undefined
    ? null
    : stated(Number(prop('spatial-calibration-x') ?? Number.NaN) * unit, 'metamorph');
}

/** ImageJ: `unit=micron` in the description, XResolution in pixels per that unit. */
function fromImageJ(description: string, xResolution: number | undefined): PixelSize | null {
  if (!description.startsWith('ImageJ=') || !xResolution) return null;
  const unit = micronsFor(/^unit=(.*)$/m.exec(description)?.[1] ?? 'pixel');
  return unit === undefined ? null : stated(unit / xResolution, 'imagej');
}

/** The plain TIFF tags: XResolution in pixels per inch (ResolutionUnit 2) or per centimetre (3). */
function fromResolution({ xResolution, resolutionUnit }: ResolutionTags): PixelSize | null {
  // 1 is "no absolute unit": the tags then give only the aspect ratio.
  if (!xResolution || (resolutionUnit !== 2 && resolutionUnit !== 3)) return null;
  return stated((resolutionUnit === 2 ? micronsPer.inch! : micronsPer.cm!) / xResolution, 'tiff-resolution');
}

interface ResolutionTags {
  description?: string;
  xResolution?: number;
  resolutionUnit: number;
}

/** ImageDescription, XResolution and ResolutionUnit of the first directory of a TIFF or BigTIFF. */
function readFirstDirectory(bytes: Uint8Array): ResolutionTags | null {
  if (bytes.length < 16) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = bytes[0] === 0x49 && bytes[1] === 0x49;
  if (!little && !(bytes[0] === 0x4d && bytes[1] === 0x4d)) return null;
  const version = view.getUint16(2, little);
  if (version !== 42 && version !== 43) return null;
  const big = version === 43; // BigTIFF: 8-byte offsets and counts, as large OME-TIFFs are written
  const offset = (at: number) => (big ? Number(view.getBigUint64(at, little)) : view.getUint32(at, little));
  const directory = offset(big ? 8 : 4);
  const countSize = big ? 8 : 2;
  if (directory + countSize > bytes.length) return null;
  const count = big ? offset(directory) : view.getUint16(directory, little);
  const entrySize = big ? 20 : 12;
  const tags: ResolutionTags = { resolutionUnit: 2 }; // TIFF 6.0: the inch, when the tag is absent
  for (let i = 0; i < count; i++) {
    const entry = directory + countSize + i * entrySize;
    if (entry + entrySize > bytes.length) return null;
    const tag = view.getUint16(entry, little);
    const type = view.getUint16(entry + 2, little);
    const n = big ? offset(entry + 4) : view.getUint32(entry + 4, little);
    const size = (type === 3 ? 2 : type === 5 ? 8 : 1) * n;
    const field = entry + (big ? 12 : 8);
    const at = size <= (big ? 8 : 4) ? field : offset(field);
    if (at + size > bytes.length) continue;
    if (tag === 270 && (type === 2 || type === 1 || type === 7)) {
      tags.description = new TextDecoder().decode(bytes.subarray(at, at + n)).replace(/\0+$/, '');
    } else if (tag === 282 && type === 5) {
      const denominator = view.getUint32(at + 4, little);
      if (denominator > 0) tags.xResolution = view.getUint32(at, little) / denominator;
    } else if (tag === 296 && type === 3) {
      tags.resolutionUnit = view.getUint16(at, little);
    }
  }
  return tags;
}
