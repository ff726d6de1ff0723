import type Database from 'better-sqlite3';

export const syntheticStart = Date.UTC(2024, 0, 1);

/**
 * Fills an empty, migrated database with `size` results for performance checks (the history
 * test and `npm run bench`). Spread over 30 days, 4 folders, 2 models, 3 classes; every 10th capture has a second path and
 * every 20th a review. Pseudo-random but fixed probabilities and names.
 */
export function fillSyntheticHistory(db: Database.Database, size: number): void {
  const t0 = syntheticStart;
  db.transaction(() => db.exec(fill(size, t0)))();
}

const fill = (size: number, t0: number) => `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${size})
INSERT INTO captures (sha256, name, size, width, height, bit_depth, channels, pages, format, state,
                      attempts, first_seen_at, updated_at)
SELECT printf('%064x', i), printf('%s_%06d.tif', iif(i % 3, 'well', 'Slide'), (i * 7919) % ${size}),
       4194304, 2048, 2048, 16, 1, 1, 'tiff', 'done', 1, ${t0} + i * 25920, ${t0} + i * 25920 FROM n;
INSERT INTO watched_folders (path, added_at) VALUES ('/lab/a', 0), ('/lab/b', 0), ('/lab/c', 0), ('/lab/d', 0);
INSERT INTO capture_files (path, folder_id, capture_id, size, mtime_ms, seen_at)
SELECT '/lab/' || char(97 + id % 4) || '/' || name, 1 + id % 4, id, size, 0, 0 FROM captures;
INSERT INTO capture_files (path, folder_id, capture_id, size, mtime_ms, seen_at)
SELECT '/archive/copy of ' || name, NULL, id, size, 0, 0 FROM captures WHERE id % 10 = 0;
INSERT INTO models (id, version, sha256, name, classes, folder, added_at) VALUES
  ('cells', '1.0.0', '${'a'.repeat(64)}', 'Cells', '["healthy","infected","unclear"]', '/m/cells', 0),
  ('nuclei', '2.0.0', '${'b'.repeat(64)}', 'Nuclei', '["healthy","infected","unclear"]', '/m/nuclei', 0);
INSERT INTO results (capture_id, model_id, model_version, model_sha256, probabilities, class_name,
                     probability, provider, preprocessing, app_version, duration_ms, classified_at)
SELECT id, iif(id % 10, 'cells', 'nuclei'), iif(id % 10, '1.0.0', '2.0.0'),
       iif(id % 10, '${'a'.repeat(64)}', '${'b'.repeat(64)}'),
       json_object('healthy', p, 'infected', 1 - p), iif(id % 7 = 0, 'unclear', iif(id % 2, 'healthy', 'infected')),
       p, 'cuda', '{"resize":"stretch"}', '0.1.0', 40, first_seen_at + 1000
FROM (SELECT *, 0.34 + ((id * 2654435761) % 1000003) / 1515156.0 AS p FROM captures);
INSERT INTO reviews (capture_id, label, created_at)
SELECT id, 'healthy', updated_at + 5000 FROM captures WHERE id % 20 = 0;
`;
