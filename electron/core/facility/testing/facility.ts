import path from 'node:path';
import { readCaptureInfo } from '../../capture/decode.js';
import { readCaptureContent } from '../../capture/identity.js';
import type { Capture } from '../../store/captures.js';
import { facilityConnection } from '../connection.js';
import { openFacilityDatabase, type FacilityDatabase } from '../database.js';
import { initFacility } from '../init.js';
import type { TestPostgres } from './postgres.js';

/**
 * A fresh database on `server`, set up by `facility init` (a job held 30 s, one retry 1 s later:
 * short, for tests) and opened; `supervise` as a worker opens it (expired jobs back to the queue).
 */
export async function initialisedFacility(
  server: TestPostgres,
  options: { supervise?: boolean; applicationName?: string } = {},
): Promise<FacilityDatabase & { address: string }> {
  const address = await server.freshDatabase();
  const connection = facilityConnection(address, { env: {} });
  const setup = openFacilityDatabase(connection, { applicationName: 'init', supervise: false, migrate: true, onError: () => {} });
  await initFacility(setup, { jobTimeoutSeconds: 30, retryLimit: 1, retryDelaySeconds: 1 });
  await setup.close();
  const database = openFacilityDatabase(connection, {
    applicationName: options.applicationName ?? 'test',
    supervise: options.supervise ?? false,
    onError: () => {},
  });
  return Object.assign(database, { address });
}

/** The capture a workstation's intake makes of `file`: read, hashed and described, queued now. */
export async function captureOf(file: string): Promise<Capture> {
  const { bytes, sha256 } = await readCaptureContent(file);
  const now = Date.now();
  return {
    sha256,
    name: path.basename(file),
    info: { size: bytes.length, ...(await readCaptureInfo(bytes)) },
    state: 'queued',
    failureReason: null,
    attempts: 0,
    firstSeenAt: now,
    updatedAt: now,
    paths: [file],
  };
}
