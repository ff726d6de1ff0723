import { describe, expect, it } from 'vitest';
import type { CaptureInfo } from '../capture/decode.js';
import { RecentReads } from './recent-reads.js';

const info = { width: 4, height: 4 } as CaptureInfo;
const read = (size: number) => ({ bytes: new Uint8Array(size), info });

describe('RecentReads', () => {
  it('hands a kept read over once, by SHA-256', () => {
    const reads = new RecentReads(100);
    const kept = read(10);
    expect(reads.keep('a', kept)).toBe(true);
    expect(reads.take('b')).toBeUndefined();
    expect(reads.take('a')).toBe(kept);
    expect(reads.take('a')).toBeUndefined();
    expect(reads.heldBytes).toBe(0);
  });

  it('keeps the oldest within its bound and refuses what does not fit, since the queue is taken oldest first', () => {
    const reads = new RecentReads(100);
    expect(reads.keep('first', read(60))).toBe(true);
    expect(reads.keep('second', read(50))).toBe(false);
    expect(reads.keep('third', read(40))).toBe(true);
    expect(reads.heldBytes).toBe(100);
    expect(reads.take('second')).toBeUndefined();
    reads.take('first');
    expect(reads.keep('second', read(50))).toBe(true);
    expect(reads.heldBytes).toBe(90);
  });

  it('keeps one read per capture', () => {
    const reads = new RecentReads(100);
    const kept = read(10);
    reads.keep('a', kept);
    expect(reads.keep('a', read(10))).toBe(false);
    expect(reads.heldBytes).toBe(10);
    expect(reads.take('a')).toBe(kept);
  });
});
