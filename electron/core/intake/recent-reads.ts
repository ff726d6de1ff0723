import type { CaptureInfo } from '../capture/decode.js';

export interface CaptureRead {
  bytes: Uint8Array;
  info: CaptureInfo;
}

/**
 * Captures the intake has just read to identify them, kept by SHA-256 until the pipeline takes
 * them, so a new capture is read and its header decoded once, not twice. The content is the
 * capture's identity, so what is kept is exactly what the pipeline would read. Bounded: what does
 * not fit is simply read again when its turn comes.
 */
export class RecentReads {
  private readonly reads = new Map<string, CaptureRead>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** Keeps a read unless that would pass the bound: the queue is taken oldest first, so the newest wait. */
  keep(sha256: string, read: CaptureRead): boolean {
    if (this.bytes + read.bytes.byteLength > this.maxBytes || this.reads.has(sha256)) return false;
    this.reads.set(sha256, read);
    this.bytes += read.bytes.byteLength;
    return true;
  }

  /** The kept read of this capture, handed over once. */
  take(sha256: string): CaptureRead | undefined {
    const read = this.reads.get(sha256);
    if (!read) return undefined;
    this.reads.delete(sha256);
    this.bytes -= read.bytes.byteLength;
    return read;
  }

  get heldBytes(): number {
    return this.bytes;
  }
}
