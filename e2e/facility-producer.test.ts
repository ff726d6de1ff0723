import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode, greyImage, makeTempDir } from '../electron/core/capture/testing/images.js';
import {
  noPostgresReason,
  postgresBin,
  startTestPostgres,
  type TestPostgres,
} from '../electron/core/facility/testing/postgres.js';
import { runCli, startCli, type CliProcess } from './support/cli-process.js';

const bin = postgresBin();
if (!bin) console.warn(noPostgresReason);

describe.skipIf(!bin)('a workstation sending to a facility', () => {
  let server: TestPostgres;
  const temp = makeTempDir('metascope-facility-producer-');
  let producer: CliProcess | null = null;
  beforeAll(async () => {
    server = await startTestPostgres();
  });
  afterAll(async () => {
    await producer?.kill();
    await server?.stop();
    temp.remove();
  });

  it('keeps identifying captures while PostgreSQL is down, sends them when it is back, and never shows the password', async () => {
    const url = await server.freshDatabase();
    // The test cluster trusts loopback, so any password connects: what matters is where it shows.
    const secret = 'S3cret-facility-pw';
    const env = { METASCOPE_FACILITY_PASSWORD: secret };
    const init = await runCli(['facility', 'init', '--facility', url], env);
    expect(init.code, init.stderr).toBe(0);
    const folder = path.join(temp.dir, 'exports');
    mkdirSync(folder);
    producer = startCli(
      [
        'watch',
        folder,
        '--db',
        path.join(temp.dir, 'ws.db'),
        '--facility',
        url,
        '--workstation',
        'ws',
        '--settle',
        '200',
      ],
      env,
    );
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const down = server.restart(6000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (let i = 0; i < 10; i++) {
      writeFileSync(
        path.join(folder, `${i}.png`),
        await encode(
          greyImage(8, 8, 8, () => i * 20),
          'png',
        ),
      );
    }
    await down;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const deadline = Date.now() + 60_000;
      let count = 0;
      while (count < 10 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        count = (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM metascope.captures'))
          .rows[0]!.n;
      }
      expect(count, producer.log()).toBe(10);
    } finally {
      await client.end();
    }
    expect(await producer.stop()).toBe(0);
    const said = producer.log();
    expect(said).toMatch(
      /cannot be reached \(.*\)\. \d+ captures wait on this computer and are sent as soon as it can; nothing is lost\./,
    );
    expect(said).toMatch(/can be reached again: the captures that waited are being sent\./);
    for (const text of [said, producer.lines().join('\n'), init.stderr, init.stdout])
      expect(text).not.toContain(secret);
  }, 120_000);
});
