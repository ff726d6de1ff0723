import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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
 * A cluster that, as a facility's would, takes connections over TCP only with TLS and a password
 * (SCRAM); `url` and `freshDatabase()` then name the server without the password, which is `password`.
 */
export interface SecuredTestPostgres extends TestPostgres {
  password: string;
  /** The self-signed certificate the server presents (for sslrootcert). */
  certificate: string;
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
export async function startTestPostgres(): Promise<TestPostgres>;
export async function startTestPostgres(options: { secured: true }): Promise<SecuredTestPostgres>;
export async function startTestPostgres(options: { secured?: boolean } = {}): Promise<TestPostgres | SecuredTestPostgres> {
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
  const secured = options.secured ? await securedFiles(root, owner) : null;
  await exec('initdb', [
    '-D',
    data,
    '-U',
    'postgres',
    ...(secured ? ['--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${secured.passwordFile}`] : ['-A', 'trust']),
    '-E',
    'UTF8',
    '--locale=C',
    '--no-sync',
  ]);
  // TCP only with TLS and a password; the tests' own set-up goes through the socket.
  if (secured)
    writeFileSync(
      path.join(data, 'pg_hba.conf'),
      'local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\nhost all all 127.0.0.1/32 reject\n',
    );
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
    ...(secured ? ['-c ssl=on', `-c ssl_cert_file=${secured.certificate}`, `-c ssl_key_file=${secured.key}`] : []),
  ].join(' ');
  const start = () =>
    exec('pg_ctl', ['-D', data, '-o', serverOptions, '-l', path.join(root, 'server.log'), '-w', 'start']);
  const halt = () => exec('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
  await start();
  const tls = secured ? `?sslmode=verify-full&sslrootcert=${encodeURIComponent(secured.certificate)}` : '';
  const url = `postgres://postgres@127.0.0.1:${port}/postgres${tls}`;
  const admin = `postgres://postgres@/postgres?host=${encodeURIComponent(root)}&port=${port}`;
  let databases = 0;
  return {
    url,
    ...(secured && { password: secured.password, certificate: secured.certificate }),
    async freshDatabase() {
      const name = `test_${process.pid}_${++databases}`;
      const client = new pg.Client({ connectionString: admin });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}${tls}`;
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

/** A password file for initdb, and a self-signed certificate for 127.0.0.1 with its key, owned by the server's user. */
async function securedFiles(root: string, owner: Awaited<ReturnType<typeof asOwner>>) {
  const password = 'correct horse battery staple';
  const files = {
    passwordFile: path.join(root, 'password'),
    certificate: path.join(root, 'server.crt'),
    key: path.join(root, 'server.key'),
  };
  writeFileSync(files.passwordFile, `${password}\n`, { mode: 0o600 });
  await run(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', files.key, '-out', files.certificate],
  );
  chmodSync(files.key, 0o600);
  if (owner) for (const file of Object.values(files)) chownSync(file, owner.uid, owner.gid);
  return { ...files, password };
}
