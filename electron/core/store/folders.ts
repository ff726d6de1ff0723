import type Database from 'better-sqlite3';

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
    `UPDATE watched_folders SET recursive = coalesce(?, recursive), enabled = coalesce(?, enabled)
     WHERE id = ?`,
  );
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
    update(id: number, changes: { recursive?: boolean; enabled?: boolean }): WatchedFolder | undefined {
      update.run(asFlag(changes.recursive), asFlag(changes.enabled), id);
      return get(id);
    },
    /** `reason` null marks the folder available again. */
    setAvailability(id: number, reason: string | null): void {
      availability.run({ reason, id });
    },
    markScanned(id: number, at = Date.now()): void {
      scanned.run(at, id);
    },
  };
}
