import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { CaptureError } from './errors.js';

/** A capture's content as read from its file, and its identity: the SHA-256 of that content. */
export interface CaptureContent {
  bytes: Buffer;
  sha256: string;
}

// 1 MiB hashes in under a millisecond, so the engine's thread is never held long.
const chunkBytes = 1 << 20;
/** A capture is held whole to be decoded; as with fs.readFile, larger files cannot be read at once. */
export const largestCapture = 2 ** 31 - 1;

/** Why a file over `largestCapture` is not classified: final, since reading it again cannot help. */
export function tooLargeReason(size: number): string {
  return `The file is ${(size / 2 ** 30).toFixed(1)} GiB, and MetaScope reads captures of up to 2 GiB: export it in smaller parts (fewer pages or tiles) to classify it.`;
}

/**
 * Reads a file and hashes each chunk while the thread pool reads the next. Hashing the whole
 * content afterwards, through WebCrypto, cost an 8 MB field a copy of it and 2 ms more CPU, and the
 * copies made the garbage collector run more often (BENCHMARKS.md). A file that grows while it is
 * read gives its first `size` bytes, one that shrinks what is there: callers compare with stat.
 */
export async function readCaptureContent(file: string): Promise<CaptureContent> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size > largestCapture) throw new CaptureError('too-large', tooLargeReason(size));
    const bytes = Buffer.allocUnsafe(size);
    const hash = createHash('sha256');
    let filled = 0;
    let next = handle.read(bytes, 0, Math.min(chunkBytes, size), 0);
    while (filled < size) {
      const { bytesRead } = await next;
      if (bytesRead === 0) break;
      const start = filled;
      filled += bytesRead;
      if (filled < size) next = handle.read(bytes, filled, Math.min(chunkBytes, size - filled), filled);
      hash.update(bytes.subarray(start, filled));
    }
    return { bytes: bytes.subarray(0, filled), sha256: hash.digest('hex') };
  } finally {
    await handle.close();
  }
}

/** The SHA-256 of a file read a chunk at a time and never held whole: the identity of one too large to read. */
export async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: chunkBytes })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
