import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * scripts/electron-sqlite.js: where the Electron build of better-sqlite3 lives (and that
 * electron-builder.yml ships it from there), when it must be made, and how it is made: from a copy
 * of the package, never touching Node's build in node_modules.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

interface Place {
  folder: string;
  addon: string;
  record: string;
}
interface Versions {
  electron: string;
  betterSqlite3: string;
  platform: string;
  arch: string;
}
interface RebuildOptions {
  buildPath: string;
  electronVersion: string;
  platform: string;
  arch: string;
  force: boolean;
}
type Rebuild = (options: RebuildOptions) => Promise<void>;
interface Script {
  electronSqlitePlace(root: string, platform: string, arch: string): Place;
  electronSqliteNeeded(
    wanted: Versions,
    found: { addonExists: boolean; record: Versions | null },
  ): string | null;
  ensureElectronSqlite(options: {
    root: string;
    electron: string;
    platform: string;
    arch: string;
    say(line: string): void;
    rebuild?: Rebuild;
    force?: boolean;
  }): Promise<Place>;
  beforePack(context: unknown): Promise<void>;
}
const script = (await import(pathToFileURL(path.join(root, 'scripts', 'electron-sqlite.js')).href)) as Script;

const sqliteFolder = path.dirname(require.resolve('better-sqlite3/package.json'));
const sqliteVersion = (
  JSON.parse(readFileSync(path.join(sqliteFolder, 'package.json'), 'utf8')) as { version: string }
).version;
const electronVersion = (
  JSON.parse(
    readFileSync(path.join(path.dirname(require.resolve('electron/package.json')), 'package.json'), 'utf8'),
  ) as {
    version: string;
  }
).version;

describe('where the Electron build lives', () => {
  it('is a folder per system and architecture under dist/, named as electron-builder names them', () => {
    expect(script.electronSqlitePlace('/p', 'linux', 'x64')).toEqual({
      folder: path.join('/p', 'dist', 'electron-sqlite', 'linux-x64'),
      addon: path.join('/p', 'dist', 'electron-sqlite', 'linux-x64', 'better_sqlite3.node'),
      record: path.join('/p', 'dist', 'electron-sqlite', 'linux-x64', 'built-for.json'),
    });
    expect(script.electronSqlitePlace('/p', 'darwin', 'arm64').folder).toBe(
      path.join('/p', 'dist', 'electron-sqlite', 'mac-arm64'),
    );
    expect(script.electronSqlitePlace('/p', 'win32', 'x64').folder).toBe(
      path.join('/p', 'dist', 'electron-sqlite', 'win-x64'),
    );
  });

  it("is where electron-builder.yml ships resources/native/better_sqlite3.node from, with electron-builder's own macros", () => {
    const yaml = require('js-yaml') as { load(text: string): unknown };
    const config = yaml.load(readFileSync(path.join(root, 'electron-builder.yml'), 'utf8')) as {
      extraResources: Array<{ from: string; to: string; filter: string[] }>;
      npmRebuild: boolean;
      beforePack: string;
    };
    const { expandMacro } = require('app-builder-lib/out/util/macroExpander.js') as {
      expandMacro(pattern: string, arch: string, appInfo: object, extra: Record<string, string>): string;
    };
    const native = config.extraResources.find((entry) => entry.to === 'native');
    expect(native?.filter).toEqual(['better_sqlite3.node']);
    // electron-builder's `${os}`: the build configuration key of each platform.
    for (const [platform, os, arch] of [
      ['linux', 'linux', 'x64'],
      ['win32', 'win', 'x64'],
      ['darwin', 'mac', 'arm64'],
    ] as const) {
      expect(path.join('/p', expandMacro(native!.from, arch, {}, { os }))).toBe(
        script.electronSqlitePlace('/p', platform, arch).folder,
      );
    }
    // electron-builder must not rebuild node_modules in place; the hook makes the build instead.
    expect(config.npmRebuild).toBe(false);
    expect(path.resolve(root, config.beforePack)).toBe(path.join(root, 'scripts', 'electron-sqlite.js'));
  });
});

describe('when the Electron build must be made', () => {
  const wanted = { electron: '39.8.10', betterSqlite3: '12.11.1', platform: 'linux', arch: 'x64' };
  const cases: Array<[string, { addonExists: boolean; record: Versions | null }, string | null]> = [
    ['fits', { addonExists: true, record: wanted }, null],
    ['no addon', { addonExists: false, record: wanted }, 'it is not built yet'],
    ['no record', { addonExists: true, record: null }, 'the record of what it was built for is missing'],
    [
      'another Electron',
      { addonExists: true, record: { ...wanted, electron: '38.2.0' } },
      'it was built for Electron 38.2.0',
    ],
    [
      'another better-sqlite3',
      { addonExists: true, record: { ...wanted, betterSqlite3: '12.4.1' } },
      'it was built from better-sqlite3 12.4.1',
    ],
    [
      'another architecture',
      { addonExists: true, record: { ...wanted, arch: 'arm64' } },
      'it was built for linux-arm64',
    ],
  ];
  it.each(cases)('%s', (_name, found, why) => {
    expect(script.electronSqliteNeeded(wanted, found)).toBe(why);
  });
});

describe('making the Electron build (with a stand-in for @electron/rebuild)', () => {
  let project: string;
  const nodeBuild = path.join(sqliteFolder, 'build', 'Release', 'better_sqlite3.node');
  let nodeBuildBefore: { size: number; mtimeMs: number };

  beforeAll(() => {
    // A project whose node_modules are this one's (only read: the build goes to dist/).
    project = mkdtempSync(path.join(tmpdir(), 'metascope-electron-sqlite-'));
    writeFileSync(path.join(project, 'package.json'), '{"type":"module"}');
    symlinkSync(path.join(root, 'node_modules'), path.join(project, 'node_modules'), 'junction');
    const { size, mtimeMs } = statSync(nodeBuild);
    nodeBuildBefore = { size, mtimeMs };
  });
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  const place = () => script.electronSqlitePlace(project, 'linux', 'x64');

  it('rebuilds a copy of better-sqlite3 for the named Electron and keeps its addon and record', async () => {
    const seen: RebuildOptions[] = [];
    const lines: string[] = [];
    const rebuild: Rebuild = async (options) => {
      seen.push(options);
      // What @electron/rebuild is handed: the package's sources, inside the project, without Node's build.
      expect(existsSync(path.join(options.buildPath, 'binding.gyp'))).toBe(true);
      expect(existsSync(path.join(options.buildPath, 'build'))).toBe(false);
      expect(options.buildPath.startsWith(project + path.sep)).toBe(true);
      mkdirSync(path.join(options.buildPath, 'build', 'Release'), { recursive: true });
      writeFileSync(
        path.join(options.buildPath, 'build', 'Release', 'better_sqlite3.node'),
        'built for Electron',
      );
    };
    const made = await script.ensureElectronSqlite({
      root: project,
      electron: '39.8.10',
      platform: 'linux',
      arch: 'x64',
      say: (line) => lines.push(line),
      rebuild,
    });
    expect(made).toEqual(place());
    expect(seen).toEqual([
      expect.objectContaining({ electronVersion: '39.8.10', platform: 'linux', arch: 'x64', force: true }),
    ]);
    expect(readFileSync(made.addon, 'utf8')).toBe('built for Electron');
    expect(JSON.parse(readFileSync(made.record, 'utf8'))).toEqual({
      electron: '39.8.10',
      betterSqlite3: sqliteVersion,
      platform: 'linux',
      arch: 'x64',
    });
    expect(lines[0]).toBe(
      `Building the database library (better-sqlite3 ${sqliteVersion}) for Electron 39.8.10 on linux-x64, because it is not built yet; this happens once and can take a few minutes…`,
    );
    expect(lines.at(-1)).toMatch(
      /^ {2}done in \d+ s: dist[/\\]electron-sqlite[/\\]linux-x64[/\\]better_sqlite3\.node$/,
    );
    expect(readdirSync(path.dirname(made.folder))).toEqual(['linux-x64']); // the copy is gone
    const { size, mtimeMs } = statSync(nodeBuild);
    expect({ size, mtimeMs }).toEqual(nodeBuildBefore); // Node's build untouched
  });

  it('does nothing when the build there fits', async () => {
    const rebuild: Rebuild = () => Promise.reject(new Error('must not rebuild'));
    const lines: string[] = [];
    await script.ensureElectronSqlite({
      root: project,
      electron: '39.8.10',
      platform: 'linux',
      arch: 'x64',
      say: (line) => lines.push(line),
      rebuild,
    });
    expect(lines).toEqual([]);
  });

  it('keeps the old build when a new one fails, and leaves no copy behind', async () => {
    const rebuild: Rebuild = () => Promise.reject(new Error('node-gyp failed'));
    await expect(
      script.ensureElectronSqlite({
        root: project,
        electron: '40.0.0',
        platform: 'linux',
        arch: 'x64',
        say: () => undefined,
        rebuild,
      }),
    ).rejects.toThrow('node-gyp failed');
    expect(readFileSync(place().addon, 'utf8')).toBe('built for Electron');
    expect(readdirSync(path.dirname(place().folder))).toEqual(['linux-x64']);
  });

  it('as electron-builder beforePack hook: takes Electron version, system and architecture from the packer', async () => {
    // Up to date for this install's Electron, so the hook finds nothing to do (no download here).
    writeFileSync(
      place().record,
      JSON.stringify({
        electron: electronVersion,
        betterSqlite3: sqliteVersion,
        platform: 'linux',
        arch: 'x64',
      }),
    );
    const context = {
      electronPlatformName: 'linux',
      arch: 1, // electron-builder's Arch.x64
      packager: { projectDir: project, info: { framework: { version: electronVersion } } },
    };
    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => lines.push(chunk) > 0) as typeof process.stdout.write;
    try {
      await expect(script.beforePack(context)).resolves.toBeUndefined();
    } finally {
      process.stdout.write = write;
    }
    expect(lines).toEqual([]);
  });
});
