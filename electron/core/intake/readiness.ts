import { open, stat } from 'node:fs/promises';
import { readCaptureInfo, type CaptureHead, type DecodeLimits } from '../capture/decode.js';
import { isCaptureError } from '../capture/errors.js';
import { sniffFormat } from '../capture/formats.js';
import { hashFile, largestCapture, readCaptureContent, tooLargeReason } from '../capture/identity.js';
import { unreadableReason } from '../pipeline/pipeline.js';
import type { CaptureInfo } from '../store/captures.js';
import type { CaptureRead } from './recent-reads.js';
import type { FileStat } from './scan.js';

export interface ReadinessLimits extends DecodeLimits {
  /**
   * Larger files are hashed a chunk at a time and only their header is decoded, never held whole
   * here (default 64 MiB): a few readers at once must not hold gigabytes.
   */
  wholeReadBytes?: number;
}

const defaultWholeReadBytes = 64 * 1024 * 1024;

/** What a settled file turned out to be when it was read. */
export type Readiness =
  /** `read`, for a file read whole: its content and decoded header, so the pipeline need not read it again. */
  | { kind: 'ready'; sha256: string; info: CaptureInfo; read?: CaptureRead }
  /** Read in full, but not a capture we can decode (yet: it may still be completed). */
  | { kind: 'invalid'; sha256: string; info: CaptureInfo; reason: string }
  /** Hashed without being read whole, and never a capture we can decode: failed at once. */
  | { kind: 'refused'; sha256: string; info: CaptureInfo; reason: string }
  /** Changed while it was read: it is still being written. */
  | { kind: 'changed' }
  | { kind: 'gone' }
  /** Locked or not allowed: worth trying again later. */
  | { kind: 'unreadable'; reason: string };

// Enough for any format's signature and for sharp to find a TIFF's first directory.
const headBytes = 64 * 1024;

/**
 * Reads a file that has held still over the settle interval, checks that it still matches what
 * the listing saw, decodes its header and hashes its content: the content is the capture's identity.
 */
export async function checkReadiness(
  file: string,
  seen: FileStat,
  limits: ReadinessLimits,
): Promise<Readiness> {
  if (seen.size > (limits.wholeReadBytes ?? defaultWholeReadBytes)) return checkStreamed(file, seen, limits);
  let bytes: Buffer;
  let sha256: string;
  try {
    ({ bytes, sha256 } = await readCaptureContent(file));
  } catch (error) {
    // Grown past what is read whole since it was listed: still being written.
    if (isCaptureError(error)) return { kind: 'changed' };
    return notRead(error);
  }
  const after = await stat(file).catch(() => null);
  if (!after) return { kind: 'gone' };
  if (after.size !== seen.size || after.mtimeMs !== seen.mtimeMs || bytes.length !== seen.size)
    return { kind: 'changed' };
  const decoded = await decodeHeader(bytes, bytes, sha256, limits);
  if (decoded.kind === 'invalid') return decoded;
  return { kind: 'ready', sha256, info: decoded.info, read: { bytes, info: decoded.header } };
}

/**
 * A large file: hashed a chunk at a time, its header decoded from the file. The pipeline reads it
 * when its turn comes, one of a few at a time, instead of up to one per reader here.
 */
async function checkStreamed(file: string, seen: FileStat, limits: DecodeLimits): Promise<Readiness> {
  let sha256: string;
  let head: Uint8Array;
  try {
    [sha256, head] = await Promise.all([hashFile(file), readHead(file)]);
  } catch (error) {
    return notRead(error);
  }
  const after = await stat(file).catch(() => null);
  if (!after) return { kind: 'gone' };
  if (after.size !== seen.size || after.mtimeMs !== seen.mtimeMs) return { kind: 'changed' };
  if (seen.size > largestCapture) {
    return { kind: 'refused', sha256, info: unknownInfo(seen.size, head), reason: tooLargeReason(seen.size) };
  }
  const decoded = await decodeHeader({ file, head, size: seen.size }, head, sha256, limits);
  return decoded.kind === 'invalid' ? decoded : { kind: 'ready', sha256, info: decoded.info };
}

type Decoded =
  | { kind: 'ready'; sha256: string; info: CaptureInfo; header: Awaited<ReturnType<typeof readCaptureInfo>> }
  | { kind: 'invalid'; sha256: string; info: CaptureInfo; reason: string };

async function decodeHeader(
  source: Uint8Array | CaptureHead,
  head: Uint8Array,
  sha256: string,
  limits: DecodeLimits,
): Promise<Decoded> {
  const size = source instanceof Uint8Array ? source.length : source.size;
  try {
    const header = await readCaptureInfo(source, limits);
    const { width, height, bitDepth, channels, pages, format } = header;
    return {
      kind: 'ready',
      sha256,
      header,
      info: { size, width, height, bitDepth, channels, pages, format },
    };
  } catch (error) {
    if (!isCaptureError(error)) throw error;
    return { kind: 'invalid', sha256, info: unknownInfo(size, head), reason: error.message };
  }
}

function unknownInfo(size: number, head: Uint8Array): CaptureInfo {
  const format = sniffFormat(head)?.supported ?? null;
  return { size, width: null, height: null, bitDepth: null, channels: null, pages: null, format };
}

async function readHead(file: string): Promise<Uint8Array> {
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(headBytes), 0, headBytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function notRead(error: unknown): Readiness {
  return (error as NodeJS.ErrnoException).code === 'ENOENT'
    ? { kind: 'gone' }
    : { kind: 'unreadable', reason: unreadableReason(error) };
}
