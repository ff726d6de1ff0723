import type Database from 'better-sqlite3';

/** How the captures of a folder are analysed: classified whole, cell by cell, or chosen by size. */
export type FolderAnalysis = 'auto' | 'one-cell' | 'find-cells';

export interface WatchedFolder {
  id: number;
  path: string;
  recursive: boolean;
  enabled: boolean;
  state: 'available' | 'unavailable';
  /** Why the folder cannot be read (unplugged drive, permission), in plain words. */
  unavailableReason: string | null;
  addedAt: number;
  lastScanAt: number | null;
  analysis: FolderAnalysis;
}

interface FolderRow {
  id: number;
  path: string;
  recursive: 0 | 1;
  enabled: 0 | 1;
  state: WatchedFolder['state'];
  unavailable_reason: string | null;
  added_at: number;
  last_scan_at: number | null;
  analysis: FolderAnalysis;
}

const toFolder = (r: FolderRow): WatchedFolder => ({
  id: r.id,
  path: r.path,
  recursive: r.recursive === 1,
  enabled: r.enabled === 1,
  state: r.state,
  unavailableReason: r.unavailable_reason,
  addedAt: r.added_at,
  lastScanAt: r.last_scan_at,
  analysis: r.analysis,
});

export type Folders = ReturnType<typeof createFolders>;

export function createFolders(db: Database.Database) {
  const insert = db.prepare(
    `INSERT INTO watched_folders (path, recursive, enabled, added_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (path) DO NOTHING`,
  );
  const byId = db.prepare<[number], FolderRow>('SELECT * FROM watched_folders WHERE id = ?');
  const byPath = db.prepare<[string], FolderRow>('SELECT * FROM watched_folders WHERE path = ?');
  const all = db.prepare<[], FolderRow>('SELECT * FROM watched_folders ORDER BY id');
  const remove = db.prepare('DELETE FROM watched_folders WHERE id = ?');
  const update = db.prepare(
    `UPDATE watched_folders SET recursive = coalesce(?, recursive), enabled = coalesce(?, enabled),
       analysis = coalesce(?, analysis)
     WHERE id = ?`,
  );
  const analysisOfFile = db
    .prepare<[string], FolderAnalysis>(
      'SELECT w.analysis FROM capture_files f JOIN watched_folders w ON w.id = f.folder_id WHERE f.path = ?',
    )
    .pluck();
  const availability = db.prepare(
    `UPDATE watched_folders SET state = iif(@reason IS NULL, 'available', 'unavailable'), unavailable_reason = @reason
     WHERE id = @id`,
  );
  const scanned = db.prepare('UPDATE watched_folders SET last_scan_at = ? WHERE id = ?');
  const asFlag = (value: boolean | undefined) => (value === undefined ? null : Number(value));

  const get = (id: number): WatchedFolder | undefined => {
    const row = byId.get(id);
    return row && toFolder(row);
  };

  return {
    /** Watches `path` (absolute, as the intake spells it); adding a watched path returns the existing row. */
    add(folderPath: string, options: { recursive?: boolean; enabled?: boolean } = {}): WatchedFolder {
      insert.run(folderPath, Number(options.recursive ?? true), Number(options.enabled ?? true), Date.now());
      return toFolder(byPath.get(folderPath)!);
    },
    get,
    list: (): WatchedFolder[] => all.all().map(toFolder),
    /** Stops watching; the files seen there keep their captures and results, with no folder. */
    remove(id: number): void {
      remove.run(id);
    },
    update(
      id: number,
      changes: { recursive?: boolean; enabled?: boolean; analysis?: FolderAnalysis },
    ): WatchedFolder | undefined {
      update.run(asFlag(changes.recursive), asFlag(changes.enabled), changes.analysis ?? null, id);
      return get(id);
    },
    /** The analysis setting of the folder a file was seen in ('auto' outside any watched folder). */
    analysisOf: (filePath: string): FolderAnalysis => analysisOfFile.get(filePath) ?? 'auto',
    /** `reason` null marks the folder available again. */
    setAvailability(id: number, reason: string | null): void {
      availability.run({ reason, id });
    },
    markScanned(id: number, at = Date.now()): void {
      scanned.run(at, id);
    },
  };
}
