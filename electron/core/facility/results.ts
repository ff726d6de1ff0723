import type pg from 'pg';
import type { ResultInput } from '../store/captures.js';

/** The model a worker classifies with, on record before its first result (results refer to it). */
export interface FacilityModel {
  id: string;
  version: string;
  sha256: string;
  name: string;
  classes: string[];
}

export async function registerModel(client: pg.ClientBase, model: FacilityModel): Promise<void> {
  await client.query(
    `INSERT INTO models (id, version, sha256, name, classes, added_at) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT DO NOTHING`,
    [model.id, model.version, model.sha256, model.name, JSON.stringify(model.classes), Date.now()],
  );
}

/**
 * Stores a result with its cells and class fractions, unless the capture already has one from the
 * same model file: then nothing is written and this returns false. That is the last guard of
 * "one result per capture and model", for a job two workers both finished (one after its expiry).
 */
export async function insertResult(
  client: pg.ClientBase,
  result: ResultInput,
  worker: string,
): Promise<boolean> {
  const inserted = await client.query<{ id: string }>(
    `INSERT INTO results (capture_id, model_id, model_version, model_sha256, probabilities, class_name, probability,
       provider, preprocessing, app_version, duration_ms, classified_at, reviewed, analysis, detector, cell_count,
       summary, in_scope, scope, uncertain, worker)
     SELECT c.id, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
       EXISTS (SELECT 1 FROM reviews v WHERE v.capture_id = c.id AND v.cell_id IS NULL),
       $13, $14, $15, $16, $17, $18, $19, $20
     FROM captures c WHERE c.sha256 = $1
     ON CONFLICT (capture_id, model_sha256) DO NOTHING
     RETURNING id`,
    [
      result.sha256,
      result.model.id,
      result.model.version,
      result.model.sha256,
      JSON.stringify(result.probabilities),
      result.className,
      result.probability,
      result.provider,
      JSON.stringify(result.preprocessing),
      result.appVersion,
      result.durationMs,
      result.classifiedAt,
      result.analysis,
      result.detector && JSON.stringify(result.detector),
      result.summary?.cells ?? null,
      result.summary && JSON.stringify(result.summary),
      result.scope.inScope,
      JSON.stringify(result.scope),
      result.uncertain,
      worker,
    ],
  );
  const resultId = inserted.rows[0]?.id;
  if (resultId === undefined) return false;
  for (const [index, cell] of (result.cells ?? []).entries()) {
    await client.query(
      `INSERT INTO cells (result_id, cell_index, x, y, box_x, box_y, box_width, box_height, area, outline, score,
         class_name, probability, probabilities, crop, in_scope, scope)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
      [
        resultId,
        index,
        cell.x,
        cell.y,
        cell.box.x,
        cell.box.y,
        cell.box.width,
        cell.box.height,
        cell.area,
        JSON.stringify(cell.outline),
        cell.score,
        cell.className,
        cell.probability,
        JSON.stringify(cell.probabilities),
        JSON.stringify(cell.crop),
        cell.scope.inScope,
        JSON.stringify(cell.scope),
      ],
    );
  }
  for (const [className, fraction] of Object.entries(result.summary?.fractions ?? {})) {
    await client.query(
      'INSERT INTO result_fractions (result_id, class_name, cells, fraction) VALUES ($1, $2, $3, $4)',
      [resultId, className, result.summary?.counts[className] ?? 0, fraction],
    );
  }
  await client.query(
    "UPDATE captures SET state = 'done', failure_reason = NULL, updated_at = $2 WHERE sha256 = $1",
    [result.sha256, Date.now()],
  );
  return true;
}

/** An invalid capture (damaged, not an image, changed on disk): its reason, in plain words, is the record. */
export async function markCaptureFailed(
  client: pg.ClientBase,
  sha256: string,
  reason: string,
): Promise<void> {
  await client.query(
    "UPDATE captures SET state = 'failed', failure_reason = $2, updated_at = $3 WHERE sha256 = $1 AND state <> 'done'",
    [sha256, reason, Date.now()],
  );
}
