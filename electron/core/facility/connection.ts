import { readFileSync, statSync } from 'node:fs';

/** A facility database to connect to: what pg needs, and a name for it that is safe to print. */
export interface FacilityConnection {
  /** The address without any password, e.g. postgres://metascope@db.lab/metascope?sslmode=require. */
  label: string;
  /**
   * The connection string pg is given: the address with the password put in. Never print it; pg
   * parses it (TLS settings such as sslmode=require included) and keeps the password out of its errors.
   */
  connectionString: string;
  /** Takes the password (if any) out of a message before anyone sees it. */
  redact(text: string): string;
}

/** A facility address or password that cannot be used; the message says why and what to do. */
export class FacilityConnectionError extends Error {}

export interface PasswordSources {
  /** The environment: METASCOPE_FACILITY_PASSWORD, else PGPASSWORD, else METASCOPE_FACILITY_PASSWORD_FILE. */
  env: NodeJS.ProcessEnv;
  /** A file holding the password (--password-file); must be readable by its owner only. */
  passwordFile?: string;
}

const protocols = new Set(['postgres:', 'postgresql:']);

/**
 * The facility's connection from the address given on the command line and a password from the
 * environment or a private file. A password in the address itself is refused: every user of the
 * computer can read a command line (`ps`), and it would end up in shell histories and logs.
 */
export function facilityConnection(address: string, sources: PasswordSources): FacilityConnection {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    // The address is not repeated: it may hold a password.
    throw new FacilityConnectionError(
      'The facility address is not a PostgreSQL address: write it as postgres://user@host/database (port, ?sslmode=require and the like may follow).',
    );
  }
  if (!protocols.has(url.protocol)) {
    throw new FacilityConnectionError(
      `The facility address must start with postgres://, not ${url.protocol}//.`,
    );
  }
  if (url.password !== '') {
    throw new FacilityConnectionError(
      'The facility address must not contain a password: every user of this computer can read a command line, and addresses end up in settings and logs. Give the address without it (postgres://user@host/database) and the password in the environment variable METASCOPE_FACILITY_PASSWORD, or in a file only you can read (chmod 600) named as the password file (--password-file on the command line).',
    );
  }
  const label = url.toString();
  const password = passwordFrom(sources);
  if (password === null) return { label, connectionString: label, redact: (text) => text };
  const withPassword = new URL(label);
  withPassword.password = encodeURIComponent(password);
  const secrets = [password, encodeURIComponent(password)];
  return {
    label,
    connectionString: withPassword.toString(),
    redact: (text) => secrets.reduce((out, secret) => out.split(secret).join('********'), text),
  };
}

function passwordFrom({ env, passwordFile }: PasswordSources): string | null {
  const inEnvironment = env.METASCOPE_FACILITY_PASSWORD ?? env.PGPASSWORD;
  if (inEnvironment !== undefined && inEnvironment !== '') return inEnvironment;
  const file = passwordFile ?? env.METASCOPE_FACILITY_PASSWORD_FILE;
  return file ? readPasswordFile(file) : null;
}

/** The first line of a private file; a file others may read is refused before it is read. */
export function readPasswordFile(file: string): string {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch {
    throw new FacilityConnectionError(
      `The password file ${file} cannot be read: check the name and that it exists.`,
    );
  }
  if ((mode & 0o077) !== 0) {
    const octal = (mode & 0o777).toString(8);
    throw new FacilityConnectionError(
      `The password file ${file} can be read by other users (its mode is ${octal}): make it private with chmod 600 ${file} and try again.`,
    );
  }
  const password = readFileSync(file, 'utf8').split(/\r?\n/)[0] ?? '';
  if (password === '')
    throw new FacilityConnectionError(
      `The password file ${file} is empty: write the password on its first line.`,
    );
  return password;
}
