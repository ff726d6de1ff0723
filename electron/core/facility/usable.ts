import type pg from 'pg';
import type { FacilityConnection } from './connection.js';
import { FacilitySchemaError, facilityMigrations, facilitySchemaVersion } from './migrate.js';

/** Refuses, in a sentence, a facility database `facility init` never set up, or a newer MetaScope did. */
export async function checkFacilitySchema(client: pg.ClientBase, connection: FacilityConnection): Promise<void> {
  const version = await facilitySchemaVersion(client);
  if (version === 0) {
    throw new FacilitySchemaError(
      `The facility database ${connection.label} is not set up: run metascope facility init on it first.`,
    );
  }
  if (version > (facilityMigrations.at(-1)?.version ?? 0)) {
    throw new FacilitySchemaError(
      `The facility database ${connection.label} was set up by a newer MetaScope (schema ${version}): update MetaScope on this computer.`,
    );
  }
}

/**
 * What went wrong with the facility database, in a sentence without its password: a server that
 * cannot be reached, a refused password, a missing database (the server's own words), or null
 * for anything else.
 */
export function facilityUnusable(error: unknown, connection: FacilityConnection): string | null {
  const code = (error as { code?: string }).code ?? '';
  const message = (error as Error).message;
  // Node's TLS codes: the server's certificate is not one this computer trusts (or not for this host).
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code))
    return `The facility database ${connection.label} presents a certificate this computer does not trust (${message}). Ask for the facility's CA certificate and name it in the address: …?sslmode=verify-full&sslrootcert=/path/to/ca.crt.`;
  if (/does not support SSL/.test(message))
    return `The facility database ${connection.label} does not offer TLS, which the address asks for: ask its administrator to turn TLS on, or take sslmode out of the address on a trusted network.`;
  if (!/^(E[A-Z]+|28|3D)/.test(code)) return null;
  return `The facility database ${connection.label} cannot be used: ${connection.redact((error as Error).message)}. Check the address, that PostgreSQL runs there, and the password.`;
}
