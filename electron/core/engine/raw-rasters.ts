import { ContractError } from '../../contract/messages.js';
import { decodeRawRaster, type RawRaster } from '../capture/raw-values.js';
import { readStoredCapture } from './capture-content.js';

type StoredCapture = Parameters<typeof readStoredCapture>[0];

/** Enough for a dozen 2048² 16-bit fields: a person moving between a few captures decodes each once. */
export const defaultRasterBudget = 128 * 1024 * 1024;

/**
 * Decoded pages at native bit depth, most recently used kept, bounded in bytes: the value under a
 * moving cursor is read from memory, not by decoding the file at every step.
 */
export class RawRasters {
  readonly #entries = new Map<string, { raster: Promise<RawRaster>; bytes: number }>();
  #held = 0;

  /** `find`: the capture's known paths (the store's record of it), or nothing when it is unknown. */
  constructor(
    private readonly find: (sha256: string) => StoredCapture | null | undefined,
    private readonly budget = defaultRasterBudget,
  ) {}

  get(sha256: string, page: number): Promise<RawRaster> {
    const key = `${sha256}/${page}`;
    const known = this.#entries.get(key);
    if (known) {
      // Map order is the use order: moved to the end, it is the last to go.
      this.#entries.delete(key);
      this.#entries.set(key, known);
      return known.raster;
    }
    const entry = { raster: this.#decode(sha256, page), bytes: 0 };
    this.#entries.set(key, entry);
    entry.raster.then(
      (raster) => {
        if (this.#entries.get(key) !== entry) return;
        entry.bytes = raster.pixels.data.byteLength;
        this.#held += entry.bytes;
        this.#evict(key);
      },
      () => this.#entries.get(key) === entry && this.#entries.delete(key),
    );
    return entry.raster;
  }

  /** Bytes of decoded pixels held now. */
  get held(): number {
    return this.#held;
  }

  async #decode(sha256: string, page: number): Promise<RawRaster> {
    const capture = this.find(sha256);
    if (!capture) throw new ContractError('not-found', 'This capture is not in the database.');
    return decodeRawRaster(await readStoredCapture(capture), page);
  }

  /** Drops the least recently used pages until the budget holds, never the one just decoded. */
  #evict(keep: string): void {
    for (const [key, entry] of this.#entries) {
      if (this.#held <= this.budget) return;
      if (key === keep) continue;
      this.#held -= entry.bytes;
      this.#entries.delete(key);
    }
  }
}
