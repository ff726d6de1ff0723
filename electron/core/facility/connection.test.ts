import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { facilityConnection, FacilityConnectionError } from './connection.js';

describe('the facility connection policy', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'metascope-connection-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const secret = 'p@ss:w/rd%1';

  it('refuses a password in the address, says why, and never repeats it', () => {
    let error: unknown;
    try {
      facilityConnection(`postgres://lab:${encodeURIComponent(secret)}@db.lab/metascope`, { env: {} });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FacilityConnectionError);
    const message = (error as Error).message;
    expect(message).toMatch(
      /must not contain a password: every user of this computer can read a command line/,
    );
    expect(message).toMatch(/METASCOPE_FACILITY_PASSWORD/);
    expect(message).not.toContain('p%40ss');
    expect(message).not.toContain(secret);
  });

  it('refuses what is not a PostgreSQL address without echoing it', () => {
    expect(() => facilityConnection('db.lab:5432', { env: {} })).toThrow(/must start with postgres:\/\//);
    expect(() => facilityConnection('not a url :secret@', { env: {} })).toThrow(
      /^The facility address is not a PostgreSQL address/,
    );
    expect(() => facilityConnection('not a url :secret@', { env: {} })).not.toThrow(/secret/);
  });

  it('takes the password from METASCOPE_FACILITY_PASSWORD before PGPASSWORD, and hands pg the TLS settings', () => {
    const c = facilityConnection('postgres://lab@db.lab:5433/metascope?sslmode=require', {
      env: { METASCOPE_FACILITY_PASSWORD: secret, PGPASSWORD: 'other' },
    });
    expect(c.label).toBe('postgres://lab@db.lab:5433/metascope?sslmode=require');
    const parsed = new URL(c.connectionString);
    expect(decodeURIComponent(parsed.password)).toBe(secret);
    expect(parsed.searchParams.get('sslmode')).toBe('require');
    expect(c.redact(`auth failed for ${secret} and ${encodeURIComponent(secret)}`)).toBe(
      'auth failed for ******** and ********',
    );
    expect(
      decodeURIComponent(
        new URL(facilityConnection('postgres://lab@db/m', { env: { PGPASSWORD: 'other' } }).connectionString)
          .password,
      ),
    ).toBe('other');
  });

  it('without a password connects as the address says (e.g. trust or a client certificate)', () => {
    const c = facilityConnection('postgresql://lab@db.lab/metascope', { env: {} });
    expect(c.connectionString).toBe(c.label);
    expect(c.redact('nothing to hide')).toBe('nothing to hide');
  });

  it('reads a private password file, and refuses one that others can read', () => {
    const file = path.join(dir, 'password');
    writeFileSync(file, `${secret}\n`);
    chmodSync(file, 0o644);
    expect(() => facilityConnection('postgres://lab@db/m', { env: {}, passwordFile: file })).toThrow(
      `The password file ${file} can be read by other users (its mode is 644): make it private with chmod 600 ${file} and try again.`,
    );
    chmodSync(file, 0o600);
    const c = facilityConnection('postgres://lab@db/m', { env: { METASCOPE_FACILITY_PASSWORD_FILE: file } });
    expect(decodeURIComponent(new URL(c.connectionString).password)).toBe(secret);
    expect(() =>
      facilityConnection('postgres://lab@db/m', { env: {}, passwordFile: path.join(dir, 'missing') }),
    ).toThrow(/cannot be read: check the name/);
  });
});
