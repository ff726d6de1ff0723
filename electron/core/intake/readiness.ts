import { stat } from 'node:fs/promises';
import { readCaptureInfo, type DecodeLimits } from '../capture/decode.js';
import { isCaptureError } from '../capture/errors.js';
import { sniffFormat } from '../capture/formats.js';
import { hashFile, largestCapture, readCaptureContent, tooLargeReason } from '../capture/identity.js';
import { unreadableReason } from '../pipeline/pipeline.js';
import type { CaptureInfo } from '../store/captures.js';
import type { CaptureRead } from './recent-reads.js';
import type { FileStat } from './scan.js';

/** What a settled file turned out to be when it was read. */
export type Readiness =
  /** `read` is the content and its decoded header, for the pipeline to use without reading again. */
  | { kind: 'ready'; sha256: string; info: CaptureInfo; read: CaptureRead }
  /** Read in full, but not a capture we can decode (yet: it may still be completed). */
  | { kind: 'invalid'; sha256: string; info: CaptureInfo; reason: string }
  /** Hashed without being read whole, and never a capture we can decode: failed at once. */
  | { kind: 'refused'; sha256: string; info: CaptureInfo; reason: string }
  /** Changed while it was read: it is still being written. */
  | { kind: 'changed' }
  | { kind: 'gone' }
  /** Locked or not allowed: worth trying again later. */
  | { kind: 'unreadable'; reason: string };

/**
 * Reads a file that has held still over the settle interval, checks that it still matches what
 * the listing saw, decodes its header and hashes its content: the content is the capture's identity.
 */
export async function checkReadiness(file: string, seen: FileStat, limits: DecodeLimits): Promise<Readiness> {
  if (seen.size > largestCapture) return refuseTooLarge(file, seen);
  let bytes: Buffer;
  let sha256: string;
  try {
    ({ bytes, sha256 } = await readCaptureContent(file));
  } catch (error) {
    // Grown past the limit since it was listed: still being written.
    if (isCaptureError(error)) return { kind: 'changed' };
    return (error as NodeJS.ErrnoException).code === 'ENOENT'
      ? { kind: 'gone' }
      : { kind: 'unreadable', reason: unreadableReason(error) };
  }
  const after = await stat(file).catch(() => null);
  if (!after) return { kind: 'gone' };
  if (after.size !== seen.size || after.mtimeMs !== seen.mtimeMs || bytes.length !== seen.size) return { kind: 'changed' };
  try {
    const header = await readCaptureInfo(bytes, limits);
    return {
      kind: 'ready',
      sha256,
      read: { bytes, info: header },
      info: {
        size: bytes.length,
        width: header.width,
        height: header.height,
        bitDepth: header.bitDepth,
        channels: header.channels,
        pages: header.pages,
        format: header.format,
      },
    };
  } catch (error) {
    if (!isCaptureError(error)) throw error;
    const format = sniffFormat(bytes)?.supported ?? null;
    const info = { size: bytes.length, width: null, height: null, bitDepth: null, channels: null, pages: null, format };
    return { kind: 'invalid', sha256, info, reason: error.message };
  }
}

/** A file too large to read whole gets its identity from a streamed hash and a final refusal. */
async function refuseTooLarge(file: string, seen: FileStat): Promise<Readiness> {
  let sha256: string;
  try {
    sha256 = await hashFile(file);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT'
      ? { kind: 'gone' }
      : { kind: 'unreadable', reason: unreadableReason(error) };
  }
  const after = await stat(file).catch(() => null);
  if (!after) return { kind: 'gone' };
  if (after.size !== seen.size || after.mtimeMs !== seen.mtimeMs) return { kind: 'changed' };
  const info = { size: seen.size, width: null, height: null, bitDepth: null, channels: null, pages: null, format: null };
  return { kind: 'refused', sha256, info, reason: tooLargeReason(seen.size) };
}
