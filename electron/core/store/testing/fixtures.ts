// Shared by tests only (the store's, and the intake's full disk); the app never imports it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { wholeCapture, type CaptureInfo, type CellInput, type ResultInput } from '../captures.js';
import type { ModelRef } from '../models.js';
import type { Store } from '../store.js';

/** Temporary folders for real database files; `cleanup` suits `afterEach`. */
export function tempDirs() {
  const made: string[] = [];
  return {
    make(): string {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'metascope-store-'));
      made.push(dir);
      return dir;
    },
    cleanup(): void {
      for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A distinct, valid SHA-256 for test number `n`. */
export const sha = (n: number): string => n.toString(16).padStart(64, '0');

export const info: CaptureInfo = {
  size: 2048,
  width: 512,
  height: 512,
  bitDepth: 16,
  channels: 1,
  pages: 1,
  format: 'tiff',
};

export const modelA: ModelRef = { id: 'cells', version: '1.0.0', sha256: 'a'.repeat(64) };

export function registerModel(store: Store, model: ModelRef = modelA): void {
  store.models.register({ ...model, name: `Model ${model.id}`, classes: ['healthy', 'infected'], folder: '/models' });
}

/** Records a settled file and attaches it to `sha256`, as the intake would. */
export function addFile(store: Store, filePath: string, sha256: string, folderId: number | null = null) {
  store.files.recordSeen({ path: filePath, folderId, size: info.size, mtimeMs: 1_700_000_000_000.5 });
  return store.captures.attachFile(filePath, sha256, info);
}

export function resultFor(sha256: string, changes: Partial<ResultInput> = {}): ResultInput {
  const className = changes.className ?? 'infected';
  const probability = changes.probability ?? 0.9;
  return {
    ...wholeCapture,
    sha256,
    model: modelA,
    probabilities: { healthy: 1 - probability, infected: probability },
    className,
    probability,
    provider: 'cpu',
    preprocessing: { resize: 'stretch', intensity: { mode: 'bit-depth' } },
    appVersion: '0.1.0',
    durationMs: 12.5,
    classifiedAt: 1_700_000_000_000,
    ...changes,
  };
}

/**
 * Leaves the database no room to grow, as a full disk does: SQLite's page limit fails the next page
 * it needs exactly as a full disk does (SQLITE_FULL).
 */
export function fillDisk(db: Database.Database): void {
  db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
}

/** Lifts `fillDisk`'s limit: space has been freed. */
export function freeDisk(db: Database.Database): void {
  db.pragma('max_page_count = 1073741823');
}

/** A real disk that can be filled: a small tmpfs of its own, for what SQLite's page limit cannot reach. */
export interface SmallDisk {
  dir: string;
  /** Takes every free byte, as another program filling the disk would. */
  fill(): void;
  free(): void;
  /** From now on the disk is read-only media. */
  makeReadOnly(): void;
  unmount(): void;
}

/**
 * Mounts a 16 MiB tmpfs in a temporary folder (`readOnly`: as read-only media), or returns null
 * where that is not allowed (not root).
 */
export function smallDisk(options: { readOnly?: boolean } = {}): SmallDisk | null {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'metascope-disk-'));
  try {
    const mountOptions = options.readOnly ? 'size=16m,ro' : 'size=16m';
    execFileSync('mount', ['-t', 'tmpfs', '-o', mountOptions, 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  const fillers: string[] = [];
  return {
    dir,
    fill() {
      const chunk = Buffer.alloc(64 * 1024);
      for (;;) {
        const filler = path.join(dir, `filler-${fillers.length}`);
        fillers.push(filler);
        try {
          writeFileSync(filler, chunk);
        } catch {
          return;
        }
      }
    },
    free() {
      for (const filler of fillers.splice(0)) rmSync(filler, { force: true });
    },
    makeReadOnly() {
      execFileSync('mount', ['-o', 'remount,ro', dir]);
    },
    unmount() {
      // Lazily, so a test that failed with the database still open cannot hide its failure.
      execFileSync('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A cell of a field at `x`, as the cell finder and classifier give it. */
export const cellAt = (x: number, className: 'healthy' | 'infected', probability = 0.9): CellInput => ({
  x,
  y: 50,
  box: { x: x - 10, y: 40, width: 20, height: 20 },
  area: 300,
  outline: [
    [x - 10, 40],
    [x + 10, 60],
  ],
  score: 0.8,
  className,
  probability,
  probabilities: {
    healthy: className === 'healthy' ? probability : 1 - probability,
    infected: className === 'infected' ? probability : 1 - probability,
  },
  crop: { x: x - 112, y: -62, width: 224, height: 224, scale: 1, edge: true },
  scope: { inScope: true, score: 3.2, threshold: 10, method: 'feature-distance', reason: null },
});

/** A field result with these cells, its summary worked out from them. */
export function fieldResult(n: number, cells: CellInput[], classifiedAt = 1_700_000_000_000): ResultInput {
  const counts = { healthy: 0, infected: 0 };
  for (const c of cells) counts[c.className as keyof typeof counts]++;
  const fractions = Object.fromEntries(
    Object.entries(counts).map(([k, v]) => [k, cells.length ? v / cells.length : 0]),
  );
  const infectedMore = counts.infected >= counts.healthy;
  return resultFor(sha(n), {
    analysis: 'find-cells',
    detector: { id: 'finder', version: '1.0.0', sha256: 'd'.repeat(64) },
    cells,
    summary: {
      cells: cells.length,
      outOfScope: 0,
      counts,
      fractions,
      meanProbability: cells.length ? 0.9 : null,
    },
    className: cells.length === 0 ? '' : infectedMore ? 'infected' : 'healthy',
    probability: cells.length === 0 ? 0 : Math.max(fractions.healthy!, fractions.infected!),
    classifiedAt,
  });
}
