import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** A throw-away PostgreSQL cluster on loopback, for tests. */
export interface TestPostgres {
  /** A URL for the cluster's `postgres` database, as its superuser (trust auth on loopback). */
  url: string;
  /** A URL for a fresh, empty database of its own, for one test. */
  freshDatabase(): Promise<string>;
  /** Stops the server abruptly (as a crash would), waits `downMs`, starts it again on the same port. */
  restart(downMs?: number): Promise<void>;
  /** Stops the server and deletes its files. */
  stop(): Promise<void>;
}

/**
 * Where initdb and pg_ctl live: PG_BIN, else Debian's /usr/lib/postgresql/<newest>/bin, else PATH.
 * Null when PostgreSQL is not installed: the tests that need it say so and skip.
 */
export function postgresBin(): string | null {
  const candidates = [process.env.PG_BIN];
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian).sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => path.join(debian, v, 'bin')));
  }
  candidates.push(...(process.env.PATH ?? '').split(path.delimiter));
  return (
    candidates.find(
      (dir) => dir && existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_ctl')),
    ) ?? null
  );
}

/** The sentence a test prints when it skips for want of PostgreSQL. */
export const noPostgresReason =
  "PostgreSQL is not installed here (no initdb found in PG_BIN, /usr/lib/postgresql/*/bin or PATH): the facility tests are skipped. Install Debian's postgresql package to run them.";

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * initdb refuses to run as root, so as root every PostgreSQL program runs as the `postgres` user
 * (which Debian's package creates), in a folder that user owns.
 */
async function asOwner(): Promise<{
  uid: number;
  gid: number;
  wrap: (bin: string, args: string[]) => [string, string[]];
} | null> {
  if (process.getuid?.() !== 0) return null;
  const id = async (flag: string) => Number((await run('id', [flag, 'postgres'])).stdout.trim());
  const [uid, gid] = [await id('-u'), await id('-g')];
  return { uid, gid, wrap: (bin, args) => ['runuser', ['-u', 'postgres', '--', bin, ...args]] };
}

/** Starts a new cluster in a temporary folder on a free loopback port; its socket lives in that folder too. */
export async function startTestPostgres(): Promise<TestPostgres> {
  const bin = postgresBin();
  if (!bin) throw new Error(noPostgresReason);
  const root = mkdtempSync(path.join(os.tmpdir(), 'metascope-pg-'));
  const data = path.join(root, 'data');
  const owner = await asOwner();
  if (owner) chownSync(root, owner.uid, owner.gid);
  const exec = async (program: string, args: string[]) => {
    const [command, argv] = owner
      ? owner.wrap(path.join(bin, program), args)
      : [path.join(bin, program), args];
    return run(command, argv, { cwd: root });
  };
  await exec('initdb', [
    '-D',
    data,
    '-U',
    'postgres',
    '-A',
    'trust',
    '-E',
    'UTF8',
    '--locale=C',
    '--no-sync',
  ]);
  const port = await freePort();
  // fsync off: a test cluster gives up surviving a crash of the operating system, never of the
  // server. synchronous_commit stays on: with it off, an immediate stop (restart()) loses commits
  // already acknowledged, which the producers' outboxes rightly count as delivered.
  const serverOptions = [
    `-p ${port}`,
    `-k ${root}`,
    '-c listen_addresses=127.0.0.1',
    '-c fsync=off',
    '-c full_page_writes=off',
    '-c max_connections=200',
  ].join(' ');
  const start = () =>
    exec('pg_ctl', ['-D', data, '-o', serverOptions, '-l', path.join(root, 'server.log'), '-w', 'start']);
  const halt = () => exec('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
  await start();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let databases = 0;
  return {
    url,
    async freshDatabase() {
      const name = `test_${process.pid}_${++databases}`;
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async restart(downMs = 0) {
      await halt();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      await start();
    },
    async stop() {
      try {
        await halt();
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}
