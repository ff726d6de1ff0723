import type Database from 'better-sqlite3';

/** A path where a capture was seen, as the reconciler compares it with a folder listing. */
export interface FileRecord {
  path: string;
  /** Null for files given on the command line. */
  folderId: number | null;
  /** Null while the file is settling ('discovered'): not hashed yet, or changed since. */
  sha256: string | null;
  size: number;
  mtimeMs: number;
  /** When this size and mtime were first seen. */
  seenAt: number;
}

export interface FileSighting {
  path: string;
  folderId: number | null;
  size: number;
  mtimeMs: number;
}

interface FileRow {
  path: string;
  folder_id: number | null;
  sha256: string | null;
  size: number;
  mtime_ms: number;
  seen_at: number;
}

const toFile = (r: FileRow): FileRecord => ({
  path: r.path,
  folderId: r.folder_id,
  sha256: r.sha256,
  size: r.size,
  mtimeMs: r.mtime_ms,
  seenAt: r.seen_at,
});

const select = `SELECT f.path, f.folder_id, c.sha256, f.size, f.mtime_ms, f.seen_at
  FROM capture_files f LEFT JOIN captures c ON c.id = f.capture_id`;

export type Files = ReturnType<typeof createFiles>;

export function createFiles(db: Database.Database) {
  // A new size or mtime means new content may be on the way: the path settles (and is hashed) again.
  // The capture it pointed to keeps its results.
  const unchanged = '(size = excluded.size AND mtime_ms = excluded.mtime_ms)';
  const seen = db.prepare<[FileSighting & { now: number }]>(
    `INSERT INTO capture_files (path, folder_id, size, mtime_ms, seen_at)
     VALUES (@path, @folderId, @size, @mtimeMs, @now)
     ON CONFLICT (path) DO UPDATE SET
       capture_id = iif(${unchanged}, capture_id, NULL),
       seen_at = iif(${unchanged}, seen_at, excluded.seen_at),
       size = excluded.size,
       mtime_ms = excluded.mtime_ms,
       folder_id = coalesce(excluded.folder_id, folder_id)`,
  );
  const byPath = db.prepare<[string], FileRow>(`${select} WHERE f.path = ?`);
  const inFolder = db.prepare<[number], FileRow>(`${select} WHERE f.folder_id = ? ORDER BY f.path`);
  // capture_files_by_folder (folder_id, capture_id) finds these without reading the settled ones.
  const settlingIn = db.prepare<[number], FileRow>(
    `${select} WHERE f.folder_id = ? AND f.capture_id IS NULL`,
  );
  const forget = db.prepare<[string]>(
    'DELETE FROM capture_files WHERE path IN (SELECT value FROM json_each(?))',
  );

  const get = (filePath: string): FileRecord | undefined => {
    const row = byPath.get(filePath);
    return row && toFile(row);
  };

  const record = db.transaction((sighting: FileSighting): FileRecord => {
    seen.run({ ...sighting, now: Date.now() });
    return get(sighting.path)!;
  });

  return {
    /** Records a sighting from a folder listing or a watcher hint. */
    recordSeen: (sighting: FileSighting): FileRecord => record(sighting),
    get,
    /** Every known file of a watched folder, for comparing with its listing. */
    inFolder: (folderId: number): FileRecord[] => inFolder.all(folderId).map(toFile),
    /** The files of a watched folder not yet identified: settling, or waiting to be read again. */
    settlingIn: (folderId: number): FileRecord[] => settlingIn.all(folderId).map(toFile),
    /** Drops sightings of files gone from disk; their captures, results and reviews stay. */
    forget(paths: readonly string[]): number {
      return forget.run(JSON.stringify(paths)).changes;
    },
  };
}
