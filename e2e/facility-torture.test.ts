import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode, greyImage, makeTempDir } from '../electron/core/capture/testing/images.js';
import { captureQueue, deadLetterQueue } from '../electron/core/facility/queue.js';
import type { FacilityStatus } from '../electron/core/facility/status.js';
import {
  noPostgresReason,
  postgresBin,
  startTestPostgres,
  type TestPostgres,
} from '../electron/core/facility/testing/postgres.js';
import { writeModelFolder } from '../electron/core/model/testing/model-folder.js';
import { openStoreToRead } from '../electron/core/store/reader.js';
import { runCli, startCli, type CliProcess } from './support/cli-process.js';

const bin = postgresBin();
if (!bin) console.warn(noPostgresReason);

const validCount = 320;
const damagedCount = 12;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** A distinct 8×8 capture: its index is in the first two pixels. */
const validCapture = (i: number) =>
  encode(
    greyImage(8, 8, 8, (x, y) => (y === 0 && x < 2 ? (x === 0 ? i & 255 : i >> 8) : 60 + x * 20)),
    'png',
  );

/** A PNG cut short: its header reads (so a workstation queues it), its pixels do not decode (so a worker finds it invalid). */
async function damagedCapture(i: number): Promise<Buffer> {
  const whole = await encode(
    greyImage(64, 64, 8, (x, y) => (x * 7 + y * 13 + i * 31) % 256),
    'png',
  );
  return whole.subarray(0, whole.length - 200);
}

/**
 * Two workstations and three workers on one PostgreSQL: captures seen on both workstations, damaged
 * captures, a worker killed mid-batch and PostgreSQL restarted mid-run. Afterwards every valid
 * capture has exactly one result, every damaged one a reason, the queue is empty and the history
 * reads the same from both workstations.
 */
describe.skipIf(!bin)('facility torture test', () => {
  let server: TestPostgres;
  let url: string;
  const temp = makeTempDir('metascope-facility-torture-');
  const folder = (name: string) => path.join(temp.dir, name);
  const processes: CliProcess[] = [];

  beforeAll(async () => {
    server = await startTestPostgres();
    url = await server.freshDatabase();
    await writeModelFolder(folder('model'));
    for (const name of ['ws-a', 'ws-b']) mkdirSync(folder(name));
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill()));
    await server?.stop();
    temp.remove();
  });

  it('classifies every capture exactly once through a killed worker and a database restart', async () => {
    const init = await runCli([
      'facility',
      'init',
      '--facility',
      url,
      '--job-timeout',
      '6',
      '--retries',
      '2',
      '--retry-delay',
      '1',
    ]);
    expect(init.code, init.stderr).toBe(0);

    // Workstation A sees captures 0–219, B 100–319: 120 on both. Damaged ones likewise overlap.
    const valid = await Promise.all(Array.from({ length: validCount }, (_, i) => validCapture(i)));
    const damaged = await Promise.all(Array.from({ length: damagedCount }, (_, i) => damagedCapture(i)));
    const files: Array<{ station: string; name: string; bytes: Buffer }> = [];
    valid.forEach((bytes, i) => {
      if (i < 220) files.push({ station: 'ws-a', name: `a-${i}.png`, bytes });
      if (i >= 100) files.push({ station: 'ws-b', name: `b-${i}.png`, bytes });
    });
    damaged.forEach((bytes, i) => {
      if (i < 8) files.push({ station: 'ws-a', name: `a-damaged-${i}.png`, bytes });
      if (i >= 4) files.push({ station: 'ws-b', name: `b-damaged-${i}.png`, bytes });
    });
    files.sort((x, y) => x.name.localeCompare(y.name));
    const write = (part: typeof files) =>
      part.forEach((f) => writeFileSync(path.join(folder(f.station), f.name), f.bytes));
    const half = Math.floor(files.length / 2);
    write(files.slice(0, half));

    const producer = (station: string) =>
      startCli([
        ...['watch', folder(station), '--db', folder(`${station}.db`), '--facility', url],
        ...['--workstation', station, '--microscope', `scope-${station}`, '--settle', '300'],
      ]);
    const worker = (name: string) =>
      startCli([
        ...['worker', '--facility', url, '--model', folder('model'), '--provider', 'cpu', '--threads', '1'],
        ...['--analysis', 'one-cell', '--batch', '8', '--name', name],
      ]);
    const producers = [producer('ws-a'), producer('ws-b')];
    processes.push(...producers);
    let client = new pg.Client({ connectionString: url });
    let connected = false;
    const query = async <T extends pg.QueryResultRow>(text: string, values: unknown[] = []) => {
      // Once PostgreSQL restarts, this connection is gone: a new one is made.
      for (let attempt = 0; ; attempt++) {
        try {
          if (!connected) {
            client = new pg.Client({ connectionString: url });
            client.on('error', () => (connected = false));
            await client.connect();
            connected = true;
          }
          return (await client.query<T>(text, values)).rows;
        } catch (error) {
          connected = false;
          if (attempt > 40) throw error;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
    };

    // The first worker starts alone on a deep queue, so the jobs active are its own: once it has
    // finished a batch and holds the next, it is killed. What it held is counted after its death.
    const queuedBy = Date.now() + 60_000;
    const created = "SELECT count(*)::int AS n FROM pgboss.job WHERE state = 'created'";
    while ((await query<{ n: number }>(created))[0]!.n < 64) {
      if (Date.now() > queuedBy)
        throw new Error(`Too little was queued:\n${producers.map((p) => p.log()).join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const workers = [worker('worker-1')];
    processes.push(workers[0]!);
    await workers[0]!.waitForLine(/\t(classified|invalid)\t/, 60_000);
    const active = "SELECT count(*)::int AS n FROM pgboss.job WHERE state = 'active'";
    while ((await query<{ n: number }>(active))[0]!.n === 0)
      await new Promise((resolve) => setTimeout(resolve, 5));
    await workers[0]!.kill();
    const heldWhenKilled = (await query<{ n: number }>(active))[0]!.n;
    expect(heldWhenKilled).toBeGreaterThan(0);
    workers.push(worker('worker-2'), worker('worker-3'));
    processes.push(...workers.slice(1));
    write(files.slice(half));
    await new Promise((resolve) => setTimeout(resolve, 500));
    await server.restart(1500);

    try {
      const expected = validCount + damagedCount;
      const deadline = Date.now() + 110_000;
      for (;;) {
        const [settled] = await query<{ n: number }>(
          "SELECT count(*)::int AS n FROM metascope.captures WHERE state <> 'queued'",
        );
        const [open] = await query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pgboss.job WHERE state < 'completed'",
        );
        if (settled!.n === expected && open!.n === 0) break;
        if (Date.now() > deadline) {
          throw new Error(
            `Only ${settled!.n} of ${expected} captures settled, ${open!.n} jobs open.\n${processes.map((p) => p.log()).join('\n---\n')}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }

      // Exactly one result per valid capture, none for a damaged one, which has its reason.
      const results = await query<{ sha256: string; n: number }>(
        'SELECT c.sha256, count(r.id)::int AS n FROM metascope.captures c LEFT JOIN metascope.results r ON r.capture_id = c.id GROUP BY c.sha256',
      );
      const perCapture = new Map(results.map((r) => [r.sha256, r.n]));
      expect(perCapture.size).toBe(expected);
      for (const bytes of valid) expect(perCapture.get(sha256(bytes))).toBe(1);
      const failed = await query<{ sha256: string; failure_reason: string }>(
        "SELECT sha256, failure_reason FROM metascope.captures WHERE state = 'failed'",
      );
      expect(failed.map((f) => f.sha256).sort()).toEqual(damaged.map(sha256).sort());
      for (const f of failed) expect(f.failure_reason).toMatch(/damaged or incomplete/);

      // Nothing stuck or set aside.
      const status = await runCli(['facility', 'status', '--facility', url, '--json']);
      expect(status.code, status.stderr).toBe(0);
      const parsed = JSON.parse(status.stdout) as FacilityStatus;
      expect(parsed.queue).toEqual({ waiting: 0, retrying: 0, active: 0 });
      expect(parsed.deadLetters).toEqual([]);
      // The killed worker counts as alive until its heartbeat is 30 s old.
      expect(parsed.workers.map((w) => w.name)).toEqual(expect.arrayContaining(['worker-2', 'worker-3']));
      const [dead] = await query<{ n: number }>('SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1', [
        deadLetterQueue,
      ]);
      expect(dead!.n).toBe(0);
      const retried = await query<{ n: number }>(
        'SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND retry_count > 0',
        [captureQueue],
      );
      // The killed worker's batch went to the others once it expired.
      expect(retried[0]!.n).toBeGreaterThanOrEqual(heldWhenKilled);
    } finally {
      await client.end();
    }

    // Both workstations stop cleanly with nothing left in their outboxes.
    for (const p of [...producers, ...workers.slice(1)]) expect(await p.stop()).toBe(0);
    for (const [station, unique] of [
      ['ws-a', 220 + 8],
      ['ws-b', 220 + 8],
    ] as const) {
      const store = openStoreToRead(folder(`${station}.db`));
      try {
        expect(store.captures.counts()).toMatchObject({ queued: 0, processing: 0, done: unique, failed: 0 });
      } finally {
        store.close();
      }
    }

    // One history, read the same from either workstation; filters narrow it to where captures were seen.
    const history = (...args: string[]) =>
      runCli(['history', '--facility', url, '--status', 'all', '--format', 'csv', ...args]);
    const [fromA, fromB] = await Promise.all([history(), history()]);
    expect(fromA.code, fromA.stderr).toBe(0);
    expect(fromA.stdout).toBe(fromB.stdout);
    expect(fromA.stdout.split('\n')).toHaveLength(1 + validCount + damagedCount);
    // The columns of this computer's own history, then where each capture was seen.
    expect(fromA.stdout.split('\n')[0]).toBe('file,status,label,model said,probability,when,model,provider,reviewed by,error,workstations,microscopes');
    expect(fromA.stdout.split('\n').filter((line) => line.includes(',failed,') && /damaged or incomplete/.test(line))).toHaveLength(damagedCount);
    const onlyA = await history('--workstation', 'ws-a');
    expect(onlyA.stdout.split('\n')).toHaveLength(1 + 220 + 8);
    const scopeB = await history('--microscope', 'scope-ws-b');
    expect(scopeB.stdout.split('\n')).toHaveLength(1 + 220 + 8);
  }, 180_000);
});
