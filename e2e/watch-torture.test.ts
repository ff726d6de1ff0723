import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { open, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, expect, it } from 'vitest';
import { jsonLines, startCli, type CliRun } from '../electron/cli/testing/run-cli.js';
import { makeTempDir, noiseBytes } from '../electron/core/capture/testing/images.js';
import { captureBytes, sleep, waitFor } from '../electron/core/intake/testing/fixtures.js';
import { discField, writeDetectorFolder } from '../electron/core/cells/testing/detector-folder.js';
import { writeModelFolder } from '../electron/core/model/testing/model-folder.js';
import { openStore, type Store } from '../electron/core/store/store.js';

/**
 * A real `metascope watch` process against a folder written to the way microscope software and
 * people do it (bursts, slow writes, renames into place, copies, broken files, files deleted at
 * once), killed with SIGKILL in the middle and started again. Nothing may be lost, nothing
 * classified twice, nothing left behind.
 */
const temp = makeTempDir('metascope-torture-');
const inbox = path.join(temp.dir, 'inbox');
const database = path.join(temp.dir, 'metascope.db');
const model = path.join(temp.dir, 'model');
const detector = path.join(temp.dir, 'detector');
const settleMs = 400;
const runs: CliRun[] = [];
afterAll(() => {
  for (const run of runs) run.child.kill('SIGKILL');
  temp.remove();
});

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
/** Where each file ends up: a capture to classify, a broken file to fail, or nothing at all. */
const valid = new Map<string, string>();
const invalid = new Set<string>();
const absent = new Set<string>();
/** Every content made so far, so that copies can be written again. */
const contents: Buffer[] = [];
let next = 1000;
async function fresh(): Promise<Buffer> {
  const n = next++;
  const bytes = await captureBytes(n, n % 2 ? 'png' : 'tiff', 32);
  contents.push(bytes);
  return bytes;
}
const at = (name: string) => path.join(inbox, name);

const writer = {
  async whole(name: string, bytes?: Buffer) {
    const content = bytes ?? (await fresh());
    await writeFile(at(name), content);
    valid.set(at(name), sha256(content));
  },
  /** Written in five pieces with pauses, as a slow export or network copy does. */
  async slow(name: string) {
    const content = await fresh();
    const file = await open(at(name), 'w');
    const piece = Math.ceil(content.length / 5);
    for (let offset = 0; offset < content.length; offset += piece) {
      await file.write(content.subarray(offset, offset + piece));
      await sleep(20);
    }
    await file.close();
    valid.set(at(name), sha256(content));
  },
  async renamedIntoPlace(name: string) {
    const content = await fresh();
    await writeFile(at(`${name}.part`), content);
    await sleep(30);
    await rename(at(`${name}.part`), at(name));
    valid.set(at(name), sha256(content));
  },
  /** The same content as an earlier file, under another name. */
  async copy(name: string, i: number) {
    await writer.whole(name, contents[(i * 7) % contents.length]);
  },
  async broken(name: string, kind: number) {
    const content = [noiseBytes(300, next++), Buffer.alloc(0), (await fresh()).subarray(0, 150), Buffer.from('not an image')][kind % 4]!;
    await writeFile(at(name), content);
    invalid.add(at(name));
  },
  /** A whole field of a few cells: found by the cell finder and classified cell by cell. */
  async field(name: string) {
    const n = next++;
    const content = await discField(160, 120, [
      { x: 30 + (n % 40), y: 40, radius: 10 },
      { x: 110, y: 50 + (n % 30), radius: 12 },
    ]);
    contents.push(content);
    await writer.whole(name, content);
  },
  async fleeting(name: string) {
    await writeFile(at(name), await fresh());
    await sleep(40);
    await unlink(at(name));
    absent.add(at(name));
  },
};
function times<T>(n: number, prefix: string, write: (name: string, i: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => write(`${prefix}-${i}`, i)));
}

/** One mixed wave of writes; `tag` keeps names apart between waves. */
function wave(
  tag: string,
  counts: { burst: number; slow: number; renamed: number; copies: number; broken: number; fleeting: number; fields: number },
) {
  return Promise.all([
    times(counts.fields, `${tag}-field`, (name) => writer.field(`${name}.tif`)),
    times(counts.burst, `${tag}-burst`, (name, i) => writer.whole(i % 5 === 0 ? `sub/${name}.png` : `${name}.tif`)),
    times(counts.slow, `${tag}-slow`, (name) => writer.slow(`${name}.png`)),
    times(counts.renamed, `${tag}-renamed`, (name) => writer.renamedIntoPlace(`${name}.tif`)),
    times(counts.broken, `${tag}-broken`, (name, i) => writer.broken(`${name}.${i % 2 ? 'png' : 'tif'}`, i)),
    times(counts.fleeting, `${tag}-fleeting`, (name) => writer.fleeting(`${name}.png`)),
  ]).then(() => times(counts.copies, `${tag}-copy`, (name, i) => writer.copy(i % 3 === 0 ? `sub/${name}.png` : `${name}.png`, i)));
}

const watch = () => {
  const run = startCli([
    'watch',
    inbox,
    '--db',
    database,
    '--model',
    model,
    '--detector',
    detector,
    '--recursive',
    '--settle',
    String(settleMs),
    '--format',
    'json',
  ]);
  runs.push(run);
  return run;
};
/** A wait that, when it fails, shows what the process said. */
const explained = (run: CliRun, waiting: Promise<void>) =>
  waiting.catch((error: Error) => Promise.reject(new Error(`${error.message}\n${run.stderr()}`)));
const okLines = (run: CliRun) => jsonLines<{ status: string; sha256: string }>(run.stdout()).filter((l) => l.status === 'ok');

function settled(store: Store): boolean {
  const counts = store.captures.counts();
  if (counts.queued + counts.processing + counts.discovered > 0) return false;
  const stateOf = (file: string) => {
    const sha = store.files.get(file)?.sha256;
    return sha ? store.captures.get(sha)?.state : undefined;
  };
  return [...valid.keys()].every((f) => stateOf(f) === 'done') && [...invalid].every((f) => stateOf(f) === 'failed');
}

it('loses nothing and redoes nothing through bursts, slow writes, renames, copies, broken files and a SIGKILL', async () => {
  const started = Date.now();
  mkdirSync(path.join(inbox, 'sub'), { recursive: true });
  // A 32×32 window: the 32-pixel captures are single cells, the fields are found cell by cell.
  await writeModelFolder(model, { channels: 1, height: 32, width: 32, weights: [[4]], bias: [-2] });
  await writeDetectorFolder(detector);
  for (const name of ['~$lock.tif', '.hidden.png', 'scan.tmp', 'notes.txt', 'left-over.png.part']) {
    await writeFile(at(name), await fresh());
    absent.add(at(name));
  }

  // Run 1: writes begin while it starts; killed once the second wave is being classified.
  const first = watch();
  await wave('a', { burst: 50, slow: 15, renamed: 15, copies: 10, broken: 8, fleeting: 8, fields: 6 });
  const firstWave = new Set(valid.values()).size;
  const second = wave('b', { burst: 50, slow: 0, renamed: 0, copies: 0, broken: 0, fleeting: 0, fields: 4 });
  await explained(first, waitFor('the second wave to be half classified', () => okLines(first).length >= firstWave + 25, 90_000));
  const slowDuringKill = times(10, 'b-slow', (name) => writer.slow(`${name}.png`));
  await sleep(30);
  first.child.kill('SIGKILL');
  const killedAfterMs = Date.now() - started;
  expect((await first.exited).signal).toBe('SIGKILL');
  const printedByFirst = okLines(first);
  await Promise.all([second, slowDuringKill]);

  // While nothing runs: more arrives, to be caught up at the next start.
  await wave('c', { burst: 50, slow: 0, renamed: 15, copies: 10, broken: 7, fleeting: 6, fields: 4 });

  // Run 2: started while a last wave is written.
  const again = watch();
  await wave('d', { burst: 50, slow: 15, renamed: 10, copies: 10, broken: 8, fleeting: 6, fields: 6 });
  const store = openStore(database);
  try {
    await explained(again, waitFor('every capture to be classified or failed', () => settled(store), 90_000));
    again.child.kill('SIGTERM');
    expect(await again.exited).toEqual({ code: 0, signal: null });

    const written = valid.size + invalid.size + absent.size;
    const distinct = new Set(valid.values());
    expect(written).toBeGreaterThanOrEqual(300);
    expect(store.captures.counts()).toMatchObject({ queued: 0, processing: 0, discovered: 0, done: distinct.size });
    for (const sha of distinct) expect(store.history.forCapture(sha)).toHaveLength(1);
    // Every field was analysed cell by cell, and its cells are stored once.
    const fields = [...valid].filter(([file]) => file.includes('-field-')).map(([, sha]) => sha);
    expect(fields.length).toBeGreaterThan(10);
    for (const sha of fields) {
      const [result] = store.history.forCapture(sha);
      expect(result, sha).toMatchObject({ analysis: 'find-cells', summary: { cells: 2 } });
      expect(store.cells.ofResult(result!.resultId)).toHaveLength(2);
    }
    for (const file of invalid) {
      const capture = store.captures.get(store.files.get(file)!.sha256!)!;
      expect(capture.failureReason, file).toMatch(/\w+ \w+/);
    }
    for (const file of absent) expect(store.files.get(file), file).toBeUndefined();
    for (const [file, sha] of valid) expect(store.captures.get(sha)!.paths, file).toContain(file);

    // Nothing classified twice: each content printed at most once over both runs, claimed at most twice.
    const printed = [...printedByFirst, ...okLines(again)].map((l) => l.sha256);
    expect(new Set(printed).size).toBe(printed.length);
    const done = store.captures.inState('done', { limit: 1000, offset: 0 });
    expect(Math.max(...done.map((c) => c.attempts))).toBeLessThanOrEqual(2);
    const raw = new Database(database, { readonly: true });
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    raw.close();

    console.info(
      `watch torture: ${written} files written (${distinct.size} distinct captures, ${valid.size - distinct.size} copies, ` +
        `${invalid.size} broken, ${absent.size} deleted or ignored); SIGKILL at ${killedAfterMs} ms after ` +
        `${printedByFirst.length} results; all done after ${Date.now() - started} ms.`,
    );
  } finally {
    store.close();
  }
}, 180_000);
