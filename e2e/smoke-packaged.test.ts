import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { noiseBytes, writeCapture } from '../electron/core/capture/testing/images.js';
import { engineWorld, sha256Of, type EngineWorld } from '../electron/core/engine/testing/engine-world.js';

/**
 * scripts/smoke-packaged.js, the release workflow's smoke test of the packaged app, in its parts:
 * finding the unpacked app in electron-builder's output, how it asks the app to quit, waiting for a
 * result in a database the real engine writes, the checks after quitting; and as a whole against
 * a stand-in app (the real engine and shipped model in a Node process) that behaves or does not.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const load = async <T>(file: string): Promise<T> =>
  (await import(pathToFileURL(path.join(root, file)).href)) as T;

type Names = { packageName: string; productName: string };
const app = await load<{
  unpackedFolderName(platform: string, arch: string): string;
  executableIn(folder: string, platform: string, names: Names): string;
  appNames(root: string): Names;
  findPackagedApp(installers: string, platform: string, arch: string, names: Names): string;
  quitRequest(platform: string, pid: number): { signal?: string; command?: string; args?: string[] };
}>('scripts/smoke/packaged-app.js');
type Reader = { via: string; get(sql: string, ...params: unknown[]): unknown; close(): void };
type ResultRow = { state: string; className: string; provider: string; modelId: string; probability: number };
const database = await load<{
  openReader(file: string, options?: { readOnly?: boolean }): Promise<Reader>;
  waitForResult(options: {
    database: string;
    sha256: string;
    timeoutMs: number;
    intervalMs?: number;
    isRunning?: () => boolean;
  }): Promise<ResultRow>;
  closedCleanly(database: string, sha256: string): Promise<string[]>;
}>('scripts/smoke/database.js');
const smoke = await load<{
  smokeTest(options: {
    executable: string;
    args?: string[];
    env?: Record<string, string>;
    resultTimeoutMs?: number;
    quitTimeoutMs?: number;
  }): Promise<{ result: ResultRow; ended: { code: number | null } }>;
}>('scripts/smoke-packaged.js');

const names = app.appNames(root);

describe('the unpacked app in electron-builder output', () => {
  it('is in the folder electron-builder names for the platform and arch', () => {
    expect(app.unpackedFolderName('linux', 'x64')).toBe('linux-unpacked');
    expect(app.unpackedFolderName('linux', 'arm64')).toBe('linux-arm64-unpacked');
    expect(app.unpackedFolderName('win32', 'x64')).toBe('win-unpacked');
    expect(app.unpackedFolderName('darwin', 'arm64')).toBe('mac-arm64');
    expect(app.unpackedFolderName('darwin', 'x64')).toBe('mac');
    expect(() => app.unpackedFolderName('aix', 'ppc64')).toThrow(/not packaged for aix/);
  });

  it('is the executable the release workflow checks the fuses of, on each system', () => {
    const yaml = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown };
    const workflow = yaml.load(
      readFileSync(path.join(root, '.github', 'workflows', 'release.yml'), 'utf8'),
    ) as {
      jobs: { installers: { strategy: { matrix: { include: Array<{ os: string; app: string }> } } } };
    };
    const platformOf = (os: string) =>
      os.startsWith('ubuntu') ? 'linux' : os.startsWith('windows') ? 'win32' : 'darwin';
    const archOf = (os: string) => (os.startsWith('macos') ? 'arm64' : 'x64');
    const include = workflow.jobs.installers.strategy.matrix.include;
    expect(include.map((entry) => platformOf(entry.os)).sort()).toEqual(['darwin', 'linux', 'win32']);
    for (const { os, app: checked } of include) {
      const platform = platformOf(os);
      const folder = path.join('dist', 'installers', app.unpackedFolderName(platform, archOf(os)));
      const executable = app.executableIn(folder, platform, names).split(path.sep).join('/');
      expect(executable.startsWith(checked), `${executable} is inside ${checked}`).toBe(true);
    }
  });

  describe('found on disk', () => {
    let installers: string;
    beforeAll(() => {
      installers = mkdtempSync(path.join(tmpdir(), 'metascope-installers-'));
    });
    afterAll(() => rmSync(installers, { recursive: true, force: true }));

    it('is found where electron-builder left it, and its absence says how to build it', () => {
      expect(() => app.findPackagedApp(installers, 'linux', 'x64', names)).toThrow(
        /No unpacked MetaScope at .*linux-unpacked.*metascope.*`npm run dist -- --dir`/,
      );
      mkdirSync(path.join(installers, 'linux-unpacked'));
      writeFileSync(path.join(installers, 'linux-unpacked', 'metascope'), '');
      expect(app.findPackagedApp(installers, 'linux', 'x64', names)).toBe(
        path.join(installers, 'linux-unpacked', 'metascope'),
      );
    });
  });

  it('is asked to quit as a user would: SIGTERM on Linux and macOS, taskkill without /F on Windows', () => {
    expect(app.quitRequest('linux', 42)).toEqual({ signal: 'SIGTERM' });
    expect(app.quitRequest('darwin', 42)).toEqual({ signal: 'SIGTERM' });
    expect(app.quitRequest('win32', 42)).toEqual({ command: 'taskkill', args: ['/PID', '42'] });
  });
});

describe('waiting for the result in the database the engine writes', () => {
  let world: EngineWorld;
  beforeEach(async () => {
    world = await engineWorld();
  });
  afterEach(async () => {
    await world.cleanup();
  });

  it("reads with Node's own SQLite where this Node has it, else better-sqlite3", async () => {
    const opened = await world.open();
    await opened.call('app.status', {});
    const hasNodeSqlite = await import('node:sqlite' as string).then(
      () => true,
      () => false,
    );
    const reader = await database.openReader(world.database);
    expect(reader.via).toBe(hasNodeSqlite ? 'node:sqlite' : 'better-sqlite3');
    reader.close();
  });

  it('finds the result while the engine runs; the database counts as closed only once the engine closed it', async () => {
    const opened = await world.open();
    const sha256 = await world.drop('bright.png', 220);
    const result = await database.waitForResult({ database: world.database, sha256, timeoutMs: 20_000 });
    expect(result).toMatchObject({ state: 'done', className: 'bright', modelId: 'test-linear-mean' });
    expect(result.provider).toMatch(/^[a-z]+$/);
    expect(await database.closedCleanly(world.database, sha256)).toContain(
      'The database still has its write-ahead log (-wal): MetaScope did not close it.',
    );
    await opened.close();
    expect(await database.closedCleanly(world.database, sha256)).toEqual([]);
  });

  it('stops at once with the reason when the capture failed', async () => {
    await world.open();
    writeCapture(world.inbox, 'broken.png', noiseBytes(300));
    await expect(
      database.waitForResult({
        database: world.database,
        sha256: sha256Of(noiseBytes(300)),
        timeoutMs: 30_000,
      }),
    ).rejects.toThrow(/^MetaScope could not classify the capture: [A-Z].*\.$/);
  });

  it('gives up after its time with what it saw last, and at once when the app stopped', async () => {
    await world.open();
    const never = 'f'.repeat(64);
    await expect(
      database.waitForResult({ database: world.database, sha256: never, timeoutMs: 600, intervalMs: 100 }),
    ).rejects.toThrow('The capture had no result within 1 s (the capture was not seen yet).');
    await expect(
      database.waitForResult({
        database: path.join(world.dir, 'nowhere.db'),
        sha256: never,
        timeoutMs: 10_000,
        isRunning: () => false,
      }),
    ).rejects.toThrow('MetaScope stopped before the capture had a result (the database was not created).');
  });
});

// The stand-in quits on SIGTERM; Windows has no signals (the packaged app gets taskkill there).
describe.skipIf(process.platform === 'win32')('the whole smoke test, against a stand-in app', () => {
  const standIn = {
    executable: process.execPath,
    args: ['--import', 'tsx', path.join(root, 'e2e', 'support', 'packaged-stand-in.ts')],
  };

  it('passes an app that classifies the capture, quits with 0 and closes its database', async () => {
    const { result, ended } = await smoke.smokeTest({ ...standIn, resultTimeoutMs: 90_000 });
    expect(result).toMatchObject({ state: 'done', modelId: 'brightfield-hek293a-ht1080' });
    expect(['HEK-293A', 'HT1080']).toContain(result.className);
    expect(ended.code).toBe(0);
  }, 120_000);

  it('fails an app that dies when asked to quit, leaving its database open', async () => {
    await expect(
      smoke.smokeTest({ ...standIn, env: { STAND_IN_QUIT: 'crash' }, resultTimeoutMs: 90_000 }),
    ).rejects.toThrow(/MetaScope exited with SIGKILL, not 0\. The database still has its write-ahead log/);
  }, 120_000);

  it('fails an app that does not quit when asked, after killing it', async () => {
    await expect(
      smoke.smokeTest({
        ...standIn,
        env: { STAND_IN_QUIT: 'ignore' },
        resultTimeoutMs: 90_000,
        quitTimeoutMs: 2_000,
      }),
    ).rejects.toThrow(/MetaScope did not quit within 2 s of being asked, so it was killed\./);
  }, 120_000);
});
