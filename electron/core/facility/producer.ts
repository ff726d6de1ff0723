import type { AnalysisChoice } from '../cells/analysis.js';
import type { Capture } from '../store/captures.js';
import type { FacilityDatabase } from './database.js';
import { captureJobId, captureQueue, type CaptureJobData } from './queue.js';

/** Where captures were seen: the workstation (computer) and the microscope it serves. */
export interface Station {
  workstation: string;
  /** Empty where the workstation did not say. */
  microscope: string;
}

/** The facility has no queue yet: `facility init` was never run on it. */
export class FacilityNotReadyError extends Error {}

/**
 * Records where each capture was seen and queues the ones the facility has never seen, all in one
 * transaction. Exactly once: the capture row (unique by SHA-256) and its job are written together,
 * so the producer that inserts the row enqueues the job and every other producer (a concurrent one
 * waits for that transaction, then finds the row) only adds its sighting. Each job carries how the
 * capture's folder asks for it to be analysed (`analysisOf`). Returns how many were new.
 */
export async function sendCaptures(
  database: FacilityDatabase,
  station: Station,
  captures: Capture[],
  analysisOf: (capture: Capture) => AnalysisChoice = () => 'auto',
): Promise<number> {
  // One order for every producer, so two transactions over the same captures cannot deadlock.
  const sorted = [...captures].sort((a, b) => (a.sha256 < b.sha256 ? -1 : a.sha256 > b.sha256 ? 1 : 0));
  return database.transaction(async (client, db) => {
    const now = Date.now();
    const jobs: Array<{ id: string; name: string; data: CaptureJobData }> = [];
    for (const capture of sorted) {
      const { info } = capture;
      const inserted = await client.query<{ id: string }>(
        `INSERT INTO captures (sha256, name, size, width, height, bit_depth, channels, pages, format, state, first_seen_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'queued', $10, $10)
         ON CONFLICT (sha256) DO NOTHING RETURNING id`,
        [
          capture.sha256,
          capture.name,
          info.size,
          info.width,
          info.height,
          info.bitDepth,
          info.channels,
          info.pages,
          info.format,
          capture.firstSeenAt,
        ],
      );
      let id = inserted.rows[0]?.id;
      if (id !== undefined)
        jobs.push({
          id: captureJobId(capture.sha256),
          name: captureQueue,
          data: { sha256: capture.sha256, analysis: analysisOf(capture) },
        });
      else
        id = (
          await client.query<{ id: string }>('SELECT id FROM captures WHERE sha256 = $1', [capture.sha256])
        ).rows[0]!.id;
      for (const path of capture.paths) {
        await client.query(
          `INSERT INTO capture_sightings (capture_id, workstation, microscope, path, seen_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (capture_id, workstation, path) DO NOTHING`,
          [id, station.workstation, station.microscope, path, now],
        );
      }
    }
    if (jobs.length > 0) {
      await database.boss.insert(jobs, { db });
      // pg-boss inserts nothing, silently, into a queue that does not exist.
      const queued = await client.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND id = ANY($2::uuid[])',
        [captureQueue, jobs.map((job) => job.id)],
      );
      if (queued.rows[0]!.n < jobs.length) {
        throw new FacilityNotReadyError(
          `The facility database ${database.connection.label} has no capture queue: run metascope facility init on it first.`,
        );
      }
    }
    return jobs.length;
  });
}

/**
 * Records captures that failed at the workstation (files no decoder could read) in the facility,
 * with their reasons and where they were seen, queuing nothing: there is nothing for a worker to do.
 * A capture the facility knows already keeps its state; it only gains the sighting.
 */
export async function sendFailures(database: FacilityDatabase, station: Station, captures: Capture[]): Promise<void> {
  const sorted = [...captures].sort((a, b) => (a.sha256 < b.sha256 ? -1 : a.sha256 > b.sha256 ? 1 : 0));
  await database.transaction(async (client) => {
    const now = Date.now();
    for (const capture of sorted) {
      const { info } = capture;
      const reason = capture.failureReason ?? 'This file could not be read as a capture.';
      await client.query(
        `INSERT INTO captures (sha256, name, size, width, height, bit_depth, channels, pages, format, state, failure_reason, first_seen_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'failed', $10, $11, $12)
         ON CONFLICT (sha256) DO NOTHING`,
        [capture.sha256, capture.name, info.size, info.width, info.height, info.bitDepth, info.channels, info.pages, info.format, reason, capture.firstSeenAt, now],
      );
      for (const path of capture.paths) {
        await client.query(
          `INSERT INTO capture_sightings (capture_id, workstation, microscope, path, seen_at)
           SELECT id, $2, $3, $4, $5 FROM captures WHERE sha256 = $1
           ON CONFLICT (capture_id, workstation, path) DO NOTHING`,
          [capture.sha256, station.workstation, station.microscope, path, now],
        );
      }
    }
  });
}
