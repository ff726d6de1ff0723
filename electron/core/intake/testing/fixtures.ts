import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { encode, greyImage, makeTempDir } from '../../capture/testing/images.js';
import { Classifier } from '../../model/classifier.js';
import { tinyModelSpec, writeModelFolder, type ManifestChanges } from '../../model/testing/model-folder.js';
import { openDatabase } from '../../store/db.js';
import { storeOn, type Store } from '../../store/store.js';
import { fillDisk, freeDisk } from '../../store/testing/fixtures.js';

/** A distinct 16×16 8-bit capture for every `n` below 65 536, as PNG or TIFF bytes. */
export function captureBytes(n: number, format: 'png' | 'tiff' = 'png', size = 16): Promise<Buffer> {
  // The first two pixels spell n; the rest is a gradient, so images differ and look like images.
  const value = (x: number, y: number) => (x + y * size === 0 ? n & 255 : x + y * size === 1 ? n >> 8 : (x * 7 + y * 13) & 255);
  return encode(greyImage(size, size, 8, value), format);
}

export interface IntakeWorld {
  dir: string;
  /** An empty folder to watch. */
  inbox: string;
  database: string;
  store: Store;
  /** The store's database runs out of room as on a full disk, and gets it back (store/testing). */
  fillDisk(): void;
  freeDisk(): void;
  /** Opens the tiny test model (CPU, one thread) from its own folder. */
  classifier(changes?: ManifestChanges): Promise<Classifier>;
  close(): Promise<void>;
}

/** A temporary folder with an inbox, a real database and real tiny models, all removed by `close`. */
export function intakeWorld(): IntakeWorld {
  const temp = makeTempDir('metascope-intake-');
  const inbox = path.join(temp.dir, 'inbox');
  mkdirSync(inbox);
  const database = path.join(temp.dir, 'metascope.db');
  const db = openDatabase(database);
  const store = storeOn(db, database);
  const opened: Classifier[] = [];
  return {
    dir: temp.dir,
    inbox,
    database,
    store,
    fillDisk: () => fillDisk(db),
    freeDisk: () => freeDisk(db),
    async classifier(changes = {}) {
      const folder = path.join(temp.dir, `model-${opened.length}`);
      await writeModelFolder(folder, tinyModelSpec, changes);
      const classifier = await Classifier.open(folder, { provider: 'cpu', threads: 1 });
      opened.push(classifier);
      return classifier;
    },
    async close() {
      await Promise.all(opened.map((c) => c.close()));
      store.close();
      temp.remove();
    },
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` returns true; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}.`);
    await sleep(25);
  }
}
