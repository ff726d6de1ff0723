import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Analysis } from '../cells/analysis.js';
import { localTime } from './copies.js';
import { Intake, type NoticeAction } from './service.js';
import { subfolderNames } from './unwatched.js';
import { captureBytes, intakeWorld, waitFor, type IntakeWorld } from './testing/fixtures.js';

let world: IntakeWorld;
let intake: Intake;
let notices: { level: string; message: string; action?: NoticeAction }[];
let foldersChanged: number;

beforeEach(async () => {
  world = intakeWorld();
  notices = [];
  foldersChanged = 0;
  const analysis = new Analysis(await world.classifier(), null);
  // A long rescan: each test lists the folders itself, when it wants to.
  intake = new Intake(
    { store: world.store, analysis, appVersion: '9.9.9', settleMs: 80, rescanMs: 60_000, maxAttempts: 1 },
    {
      notice: (level, message, action) => notices.push({ level, message, action }),
      foldersChanged: () => foldersChanged++,
    },
  );
  await intake.start();
});
afterEach(async () => {
  await intake.stop();
  await world.close();
});

const counts = () => world.store.captures.counts();
const saying = (pattern: RegExp) => notices.filter((n) => pattern.test(n.message));

describe('Notices about what arrives', () => {
  it('says once that files arrived in a subfolder it does not watch, and classifies them once the folder is made recursive', async () => {
    const folder = intake.addFolder(world.inbox, false);
    await writeCapture(world.inbox, 'top.png', 1);
    await waitFor('the top-level capture classified', () => counts().done === 1);
    mkdirSync(path.join(world.inbox, 'empty'));
    await moveInFolder('day2', [2, 3]);
    await intake.rescan();

    expect(saying(/arrived in/)).toEqual([
      {
        level: 'warning',
        message: `2 files arrived in day2, which MetaScope does not watch: make ${world.inbox} recursive, so its subfolders are watched too?`,
        action: { kind: 'make-recursive', folderId: folder.id },
      },
    ]);
    // Not again at every rescan, and never for the empty subfolder.
    await intake.rescan();
    await intake.rescan();
    expect(saying(/arrived in/)).toHaveLength(1);
    expect(counts().done).toBe(1);

    intake.updateFolder(folder.id, { recursive: true });
    await waitFor('the subfolder’s captures classified', () => counts().done === 3);
  });

  it('says it in one notice for several subfolders at once, naming a few', async () => {
    intake.addFolder(world.inbox, false);
    await moveInFolders(['run-1', 'run-2', 'run-3', 'run-4', 'run-5'].map((name, i) => [name, [20 + i]]));
    await intake.rescan();
    expect(saying(/arrived in/).map((n) => n.message)).toEqual([
      `5 files arrived in run-1, run-2, run-3 and 2 other subfolders, which MetaScope does not watch: make ${world.inbox} recursive, so its subfolders are watched too?`,
    ]);
    expect(subfolderNames(['/a/day2', '/a/day3'])).toBe('day2 and day3');
    expect(subfolderNames(['/a/day2', '/a/day3', '/a/day4', '/a/day5'])).toBe('day2, day3, day4 and 1 other subfolder');
  });

  it('says again when a subfolder removed and made anew receives files', async () => {
    intake.addFolder(world.inbox, false);
    await moveInFolder('run', [1]);
    await intake.rescan();
    renameSync(path.join(world.inbox, 'run'), path.join(world.dir, 'run-elsewhere'));
    await intake.rescan();
    await moveInFolder('run', [2]);
    await intake.rescan();
    expect(saying(/^1 file arrived in run,/)).toHaveLength(2);
  });

  it('says a copy is the same picture as the capture already classified, with when, and does not classify it again', async () => {
    intake.addFolder(world.inbox, false);
    const original = await writeCapture(world.inbox, 'well-B03.png', 7);
    await waitFor('the original classified', () => counts().done === 1);
    const [result] = world.store.history.forCapture(original);

    copyFileSync(path.join(world.inbox, 'well-B03.png'), path.join(world.inbox, 'well-B03 copy.png'));
    await intake.rescan();
    await waitFor('the copy noticed', () => saying(/same picture/).length === 1);

    expect(saying(/same picture/)[0]).toEqual({
      level: 'info',
      message: `well-B03 copy.png is the same picture as well-B03.png, classified at ${localTime(result!.classifiedAt)}: it is not classified again.`,
      action: undefined,
    });
    expect(localTime(result!.classifiedAt)).toMatch(/^\d\d:\d\d:\d\d$/);
    expect(world.store.history.forCapture(original)).toHaveLength(1);
  });

  it('names both paths when the copy keeps the name, and says nothing of a file that was only renamed', async () => {
    intake.addFolder(world.inbox, true);
    await writeCapture(world.inbox, 'a.png', 11);
    await waitFor('classified', () => counts().done === 1);

    renameSync(path.join(world.inbox, 'a.png'), path.join(world.inbox, 'renamed.png'));
    await intake.rescan();
    await waitFor('the new name attached', () => counts().discovered === 0);
    expect(saying(/same picture/)).toEqual([]);

    mkdirSync(path.join(world.inbox, 'backup'));
    copyFileSync(path.join(world.inbox, 'renamed.png'), path.join(world.inbox, 'backup', 'renamed.png'));
    await intake.rescan();
    await waitFor('the copy noticed', () => saying(/same picture/).length === 1);
    expect(saying(/same picture/)[0]!.message).toMatch(
      `${path.join(world.inbox, 'backup', 'renamed.png')} is the same picture as ${path.join(world.inbox, 'renamed.png')}, classified at`,
    );
  });

  it('tells the folders changed after every check, so "Last checked" moves', async () => {
    const folder = intake.addFolder(world.inbox, false);
    await intake.rescan();
    const [before, told] = [world.store.folders.get(folder.id)!.lastScanAt!, foldersChanged];
    await new Promise((resolve) => setTimeout(resolve, 5));
    await intake.rescan();
    expect(foldersChanged).toBeGreaterThan(told);
    expect(world.store.folders.get(folder.id)!.lastScanAt!).toBeGreaterThan(before);
  });

  it('counts a file failed before the model (not an image) with the failures in progress', async () => {
    intake.addFolder(world.inbox, false);
    writeFileSync(path.join(world.inbox, 'notes.png'), 'the microscope saved its notes under this name\n');
    await waitFor('the file failed', () => counts().failed === 1);
    expect(intake.progress()).toMatchObject({ failed: 1, done: 0 });
  });
});

async function writeCapture(folder: string, name: string, n: number): Promise<string> {
  const bytes = await captureBytes(n);
  writeFileSync(path.join(folder, name), bytes);
  return createHash('sha256').update(bytes).digest('hex');
}

/** A subfolder filled elsewhere and moved in whole, as a copied run folder lands. */
const moveInFolder = (name: string, captures: number[]) => moveInFolders([[name, captures]]);

/** Subfolders filled elsewhere, then moved in at once: one check sees them all. */
async function moveInFolders(folders: [name: string, captures: number[]][]): Promise<void> {
  for (const [name, captures] of folders) {
    mkdirSync(path.join(world.dir, `${name}-filling`));
    for (const n of captures) await writeCapture(path.join(world.dir, `${name}-filling`), `${name}-${n}.png`, n);
  }
  for (const [name] of folders) renameSync(path.join(world.dir, `${name}-filling`), path.join(world.inbox, name));
}
