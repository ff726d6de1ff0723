import { webcrypto } from 'node:crypto';

/**
 * The SHA-256 of a capture's content, its identity. WebCrypto hashes in the thread pool, so an
 * 8 MB field costs the calling thread a copy, not the 10 ms of hashing.
 */
export async function contentSha256(bytes: Uint8Array): Promise<string> {
  return Buffer.from(await webcrypto.subtle.digest('SHA-256', bytes)).toString('hex');
}
