/** Formats we decode, and the microscope formats we recognise but cannot read yet. */
export const supportedFormats = ['tiff', 'png', 'jpeg', 'webp'] as const;
export type CaptureFormat = (typeof supportedFormats)[number];

export const captureExtensions: ReadonlySet<string> = new Set(['.tif', '.tiff', '.png', '.jpg', '.jpeg', '.webp']);

interface Signature {
  name: string;
  supported: CaptureFormat | null;
  matches(bytes: Uint8Array): boolean;
}

const ascii = (bytes: Uint8Array, offset: number, text: string): boolean =>
  bytes.length >= offset + text.length && [...text].every((c, i) => bytes[offset + i] === c.charCodeAt(0));
const startsWith = (bytes: Uint8Array, prefix: number[]): boolean =>
  bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);

// Checked in order; the first match names the format.
const signatures: Signature[] = [
  { name: 'TIFF', supported: 'tiff', matches: (b) => ascii(b, 0, 'II*\0') || ascii(b, 0, 'MM\0*') },
  { name: 'BigTIFF', supported: 'tiff', matches: (b) => ascii(b, 0, 'II+\0') || ascii(b, 0, 'MM\0+') },
  { name: 'PNG', supported: 'png', matches: (b) => startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
  { name: 'JPEG', supported: 'jpeg', matches: (b) => startsWith(b, [0xff, 0xd8, 0xff]) },
  { name: 'WebP', supported: 'webp', matches: (b) => ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP') },
  { name: 'Zeiss CZI', supported: null, matches: (b) => ascii(b, 0, 'ZISRAWFILE') },
  { name: 'Nikon ND2', supported: null, matches: (b) => startsWith(b, [0xda, 0xce, 0xbe, 0x0a]) || ascii(b, 0, 'ND2 FILE SIGNATURE') },
  { name: 'Leica LIF', supported: null, matches: (b) => startsWith(b, [0x70, 0x00, 0x00, 0x00]) && b[8] === 0x2a },
  { name: 'DICOM', supported: null, matches: (b) => ascii(b, 128, 'DICM') },
  { name: 'BMP', supported: null, matches: (b) => ascii(b, 0, 'BM') && b.length > 14 },
  { name: 'GIF', supported: null, matches: (b) => ascii(b, 0, 'GIF8') },
  { name: 'JPEG 2000', supported: null, matches: (b) => startsWith(b, [0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20]) },
  { name: 'HDF5 (e.g. Imaris IMS)', supported: null, matches: (b) => startsWith(b, [0x89, 0x48, 0x44, 0x46]) },
  { name: 'PDF', supported: null, matches: (b) => ascii(b, 0, '%PDF') },
  { name: 'ZIP archive', supported: null, matches: (b) => ascii(b, 0, 'PK\x03\x04') },
];

export interface SniffedFormat {
  name: string;
  supported: CaptureFormat | null;
}

/** Names the format from the first bytes, or null when it is nothing we recognise. */
export function sniffFormat(bytes: Uint8Array): SniffedFormat | null {
  const found = signatures.find((s) => s.matches(bytes));
  return found ? { name: found.name, supported: found.supported } : null;
}

/** Hidden, temporary and partial files that microscope software and copy tools leave while writing. */
export function isTemporaryName(name: string): boolean {
  return name.startsWith('.') || name.startsWith('~$') || /\.(tmp|part|partial|crdownload|download)$/i.test(name);
}

/** A file name the intake should look at: a capture extension, and not a temporary file. */
export function isCaptureFileName(name: string): boolean {
  const dot = name.lastIndexOf('.');
  return !isTemporaryName(name) && dot > 0 && captureExtensions.has(name.slice(dot).toLowerCase());
}
