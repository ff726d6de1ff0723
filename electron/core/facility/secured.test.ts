import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../e2e/support/cli-process.js';
import { postgresHistory } from '../history-store/postgres.js';
import { facilityConnection } from './connection.js';
import { openFacilityDatabase } from './database.js';
import { initFacility } from './init.js';
import { noPostgresReason, postgresBin, startTestPostgres, type SecuredTestPostgres } from './testing/postgres.js';
import { checkFacilitySchema, facilityUnusable } from './usable.js';

const bin = postgresBin();
if (!bin) console.warn(noPostgresReason);

/** A facility's server as it is run for real: TCP only with TLS and a password (SCRAM). */
describe.skipIf(!bin)('a facility server that requires TLS and a password', () => {
  let server: SecuredTestPostgres;
  let address: string;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'metascope-secured-'));
  const passwordFile = path.join(dir, 'password');
  beforeAll(async () => {
    server = await startTestPostgres({ secured: true });
    address = await server.freshDatabase();
    writeFileSync(passwordFile, `${server.password}\n`, { mode: 0o600 });
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Opens `target` as the app does and gives the sentence it would show, or 'ok'. */
  const attempt = async (target: string, password: string | undefined) => {
    const connection = facilityConnection(target, { env: password === undefined ? {} : { METASCOPE_FACILITY_PASSWORD: password } });
    const database = openFacilityDatabase(connection, { applicationName: 'test', supervise: false, migrate: true, onError: () => {} });
    try {
      await initFacility(database, { jobTimeoutSeconds: 30, retryLimit: 1, retryDelaySeconds: 1 });
      await database.withClient((client) => checkFacilitySchema(client, connection));
      await postgresHistory(database.pool).places();
      return 'ok';
    } catch (error) {
      return facilityUnusable(error, connection) ?? (error as Error).message;
    } finally {
      await database.close();
    }
  };

  it('connects with the password from the environment over TLS that checks the server’s certificate', async () => {
    expect(address).toMatch(/sslmode=verify-full&sslrootcert=/);
    expect(await attempt(address, server.password)).toBe('ok');
  });

  it('says, without the password, why a wrong password, a connection without TLS or an untrusted certificate is refused', async () => {
    const wrong = await attempt(address, 'not the password');
    expect(wrong).toMatch(/cannot be used: password authentication failed for user "postgres"/);
    expect(wrong).not.toContain('not the password');
    const plain = address.replace(/\?.*$/, '');
    expect(await attempt(plain, server.password)).toMatch(/cannot be used: .*no encryption/);
    const untrusted = `${plain}?sslmode=verify-full`;
    expect(await attempt(untrusted, server.password)).toMatch(
      /presents a certificate this computer does not trust \(self[- ]signed certificate\)\. Ask for the facility's CA certificate/,
    );
  });

  it('facility status reads the password from a private file and never prints it', async () => {
    const { code, stdout, stderr } = await runCli(['facility', 'status', '--facility', address, '--password-file', passwordFile]);
    expect(stderr).not.toContain(server.password);
    expect(stdout).not.toContain(server.password);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/queue/i);
  }, 60_000);
});
