/**
 * The pixels of the simplest and commonest microscope export, an uncompressed single-page grey
 * TIFF, read straight out of the file. Handing them to sharp as raw pixels skips libtiff, which
 * takes about a third of the decode time of a 2048² 16-bit field (BENCHMARKS.md). Anything else
 * (compressed, tiled, colour, big-endian 16-bit, several pages, unusual tags) gives null and is
 * decoded by sharp as before. A file whose pixels stop short is reported as such: libtiff would
 * hand back the missing rows as black without a word.
 */
export interface GreyStrips {
  width: number;
  height: number;
  bitDepth: 8 | 16;
  data: Uint8Array | Uint16Array;
}

/** The pixels stop this many bytes before the header says they end. */
export interface CutShort {
  missingBytes: number;
}

const tag = {
  width: 256,
  height: 257,
  bitsPerSample: 258,
  compression: 259,
  photometric: 262,
  stripOffsets: 273,
  samplesPerPixel: 277,
  rowsPerStrip: 278,
  stripByteCounts: 279,
  planarConfig: 284,
  predictor: 317,
  tileWidth: 322,
  sampleFormat: 339,
} as const;

const typeSize: Record<number, number> = { 1: 1, 3: 2, 4: 4 }; // BYTE, SHORT, LONG

export function readGreyStrips(bytes: Uint8Array): GreyStrips | CutShort | null {
  if (bytes.length < 8) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = bytes[0] === 0x49 && bytes[1] === 0x49;
  if (!little && !(bytes[0] === 0x4d && bytes[1] === 0x4d)) return null;
  if (view.getUint16(2, little) !== 42) return null; // BigTIFF and the rest go to sharp
  const ifd = view.getUint32(4, little);
  if (ifd + 2 > bytes.length) return null;
  const count = view.getUint16(ifd, little);
  const end = ifd + 2 + count * 12;
  if (end + 4 > bytes.length || view.getUint32(end, little) !== 0) return null; // several pages

  const values = new Map<number, number[]>();
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    const size = typeSize[view.getUint16(entry + 2, little)];
    const n = view.getUint32(entry + 4, little);
    if (size === undefined) continue; // rationals, strings: none of the tags read here
    const at = size * n <= 4 ? entry + 8 : view.getUint32(entry + 8, little);
    if (at + size * n > bytes.length) return null;
    const read = size === 1 ? (o: number) => view.getUint8(o) : size === 2 ? (o: number) => view.getUint16(o, little) : (o: number) => view.getUint32(o, little);
    values.set(view.getUint16(entry, little), Array.from({ length: n }, (_, k) => read(at + k * size)));
  }
  const one = (t: number, fallback?: number) => values.get(t)?.[0] ?? fallback;
  const width = one(tag.width);
  const height = one(tag.height);
  const bits = one(tag.bitsPerSample, 1);
  const offsets = values.get(tag.stripOffsets);
  const counts = values.get(tag.stripByteCounts);
  if (
    !width ||
    !height ||
    (bits !== 8 && bits !== 16) ||
    (bits === 16 && !little) ||
    one(tag.compression, 1) !== 1 ||
    one(tag.photometric) !== 1 || // black is zero; white-is-zero and palettes go to sharp
    one(tag.samplesPerPixel, 1) !== 1 ||
    one(tag.planarConfig, 1) !== 1 ||
    one(tag.predictor, 1) !== 1 ||
    one(tag.sampleFormat, 1) !== 1 ||
    values.has(tag.tileWidth) ||
    !offsets ||
    !counts ||
    offsets.length !== counts.length
  ) {
    return null;
  }
  const bytesPerSample = bits / 8;
  const rowBytes = width * bytesPerSample;
  const rowsPerStrip = Math.min(one(tag.rowsPerStrip, height)!, height);
  if (offsets.length !== Math.ceil(height / rowsPerStrip)) return null;
  const total = rowBytes * height;
  // Strips one after another in the file (the usual layout) are used in place; others are gathered.
  const stripBytes = rowBytes * rowsPerStrip;
  if (counts.some((n, i) => n < Math.min(stripBytes, total - i * stripBytes))) return null;
  const contiguous = offsets.every((o, i) => i === 0 || o === offsets[i - 1]! + stripBytes);
  const last = offsets.length - 1;
  const missingBytes = Math.max(...offsets.map((o, i) => o + (i === last ? total - last * stripBytes : stripBytes))) - bytes.length;
  if (missingBytes > 0) return { missingBytes };
  let pixels: Uint8Array;
  if (contiguous && (bytesPerSample === 1 || (bytes.byteOffset + offsets[0]!) % 2 === 0)) {
    pixels = bytes.subarray(offsets[0]!, offsets[0]! + total);
  } else {
    pixels = new Uint8Array(total);
    for (let i = 0; i < offsets.length; i++) {
      const length = Math.min(stripBytes, total - i * stripBytes);
      pixels.set(bytes.subarray(offsets[i]!, offsets[i]! + length), i * stripBytes);
    }
  }
  const data = bits === 8 ? pixels : new Uint16Array(pixels.buffer, pixels.byteOffset, width * height);
  return { width, height, bitDepth: bits, data };
}
