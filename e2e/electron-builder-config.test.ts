import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appFiles, shippedModels } from '../electron/main/app-files.js';

/**
 * The packaging setup, checked without building installers (that needs downloads): the
 * electron-builder config against electron-builder's own schema, what its file patterns pack,
 * unpack and ship beside the app (evaluated by electron-builder's own matcher on the project's
 * real files), the icon, the fuse check on a synthetic binary, and how `npm run dist` recognises
 * a failed download.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

type Platform = 'linux' | 'win' | 'mac';
type Config = {
  appId: string;
  productName: string;
  directories: { output: string; buildResources: string };
  electronFuses: Record<string, boolean>;
  linux: { target: string[]; icon: string };
  win: { target: Array<{ target: string }>; icon: string };
  mac: { target: Array<{ target: string }>; icon: string };
};

const yaml = require('js-yaml') as { load(text: string): unknown };
const config = yaml.load(readFileSync(path.join(root, 'electron-builder.yml'), 'utf8')) as Config;
const importScript = async <T>(name: string): Promise<T> =>
  (await import(pathToFileURL(path.join(root, 'scripts', name)).href)) as T;

type Filter = (file: string, stat: { isDirectory(): boolean }) => boolean;
interface FileMatcher {
  from: string;
  to: string;
  createFilter(): Filter;
}
// electron-builder's own matcher (app-builder-lib/out/fileMatcher.js), as its packager calls it.
const matchers = require('app-builder-lib/out/fileMatcher.js') as {
  getMainFileMatchers(
    appDir: string,
    destination: string,
    macroExpander: (pattern: string) => string,
    platformOptions: unknown,
    packager: unknown,
    outDir: string,
    isElectronCompile: boolean,
  ): FileMatcher[];
  getFileMatchers(
    config: unknown,
    name: 'asarUnpack' | 'extraResources',
    destination: string,
    options: {
      macroExpander(pattern: string): string;
      customBuildOptions: unknown;
      globalOutDir: string;
      defaultSrc: string;
    },
  ): FileMatcher[] | null;
};
const platforms: Platform[] = ['linux', 'win', 'mac'];
const outDir = path.join(root, config.directories.output);
const destination = path.join(outDir, 'resources', 'app');
const expand = (pattern: string) => pattern;
const asFile = { isDirectory: () => false };

/** Whether electron-builder packs the project file `relative` into app.asar on `platform`. */
function packer(platform: Platform): (relative: string) => boolean {
  const packager = {
    info: {
      projectDir: root,
      buildResourcesDir: config.directories.buildResources,
      isPrepackedAppAsar: false,
      config,
      debugLogger: { isEnabled: false },
    },
  };
  const [main] = matchers.getMainFileMatchers(
    root,
    destination,
    expand,
    config[platform],
    packager,
    outDir,
    false,
  );
  const filter = main!.createFilter();
  return (relative) => filter(path.join(root, relative), asFile);
}

/** electron-builder's matchers for asarUnpack (into the app) or extraResources (into resources/). */
function otherMatchers(
  platform: Platform,
  name: 'asarUnpack' | 'extraResources',
  into: string,
): FileMatcher[] {
  return (
    matchers.getFileMatchers(config, name, into, {
      macroExpander: expand,
      customBuildOptions: config[platform],
      globalOutDir: outDir,
      defaultSrc: root,
    }) ?? []
  );
}

/** Files under `folder` (relative to the project), found on disk. */
function filesUnder(folder: string): string[] {
  const full = path.join(root, folder);
  if (!existsSync(full)) return [];
  return readdirSync(full, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'));
}

/** What tsc writes for each source under electron/ (tsconfig.build.json: *.ts → dist/electron/*.js + .map). */
const compiled = filesUnder('electron')
  .filter((file) => file.endsWith('.ts'))
  .map((file) => `dist/${file.replace(/\.ts$/, '.js')}`);
const isTestCode = (file: string) => /\.test\.js$/.test(file) || /\/testing\//.test(file);

describe('electron-builder.yml', () => {
  it("passes electron-builder's own schema", async () => {
    const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
      validateConfiguration(config: unknown, logger: unknown): Promise<void>;
    };
    const { DebugLogger } = require('builder-util/out/DebugLogger.js') as {
      DebugLogger: new (enabled: boolean) => unknown;
    };
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
  });

  it('names the app and builds AppImage + deb, NSIS and dmg', () => {
    expect(config.productName).toBe('MetaScope');
    expect(config.appId).toMatch(/^[a-z]+(\.[a-z]+)+$/);
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.win.target.map((t) => t.target)).toEqual(['nsis']);
    expect(config.mac.target.map((t) => t.target)).toEqual(['dmg']);
  });

  describe.each(platforms)('on %s', (platform) => {
    const packs = packer(platform);

    it('packs every file the main process loads from the app, the window icon included', () => {
      const files = appFiles(path.join(root, 'dist', 'electron', 'main'));
      for (const file of [
        files.preload,
        files.engine,
        files.rendererPage,
        files.icon,
        path.join(root, 'package.json'),
      ]) {
        const relative = path.relative(root, file).split(path.sep).join('/');
        expect(packs(relative), relative).toBe(true);
      }
      expect(packs('dist/electron/main/index.js')).toBe(true);
      expect(packs('dist/renderer/assets/index-abc123.js')).toBe(true);
    });

    it('packs the compiled shell and engine, but no tests, test helpers (testing/) or source maps', () => {
      expect(compiled.length).toBeGreaterThan(100);
      expect(compiled.some(isTestCode)).toBe(true);
      for (const file of compiled) {
        expect(packs(file), file).toBe(!isTestCode(file));
        expect(packs(`${file}.map`), `${file}.map`).toBe(false);
      }
      expect(packs('dist/renderer/assets/index-abc123.js.map')).toBe(false);
    });

    it('packs no sources, models, other build resources or installers', () => {
      const sources = ['electron', 'renderer', 'e2e', 'bench', 'models', 'scripts'].flatMap(filesUnder);
      expect(sources.length).toBeGreaterThan(100);
      for (const file of sources) expect(packs(file), file).toBe(false);
      expect(packs('resources/background.png')).toBe(false);
      expect(packs('dist/installers/MetaScope-0.1.0-linux-x86_64.AppImage')).toBe(false);
    });

    it('unpacks every native module from the asar, with the libraries beside it', () => {
      const [unpack] = otherMatchers(platform, 'asarUnpack', destination);
      const unpacks = unpack!.createFilter();
      const native = ['better-sqlite3', 'onnxruntime-node', 'sharp', '@img']
        .flatMap((name) => filesUnder(`node_modules/${name}`))
        .filter((file) => /\.(node|so(\.\d+)*|dylib|dll)$/.test(file));
      expect(native.some((file) => file.endsWith('better_sqlite3.node'))).toBe(true);
      expect(native.some((file) => file.endsWith('onnxruntime_binding.node'))).toBe(true);
      for (const file of native) expect(unpacks(path.join(root, file), asFile), file).toBe(true);
      expect(unpacks(path.join(root, 'node_modules/zod/index.js'), asFile)).toBe(false);
    });

    it('ships the models beside the app, where the main process points METASCOPE_MODELS, without training code', () => {
      const resources = path.join(outDir, 'resources');
      const [models] = otherMatchers(platform, 'extraResources', resources).filter(
        (m) => m.from === path.join(root, 'models'),
      );
      expect(models, 'an extraResources entry from models/').toBeDefined();
      expect(models!.to).toBe(shippedModels(resources));
      const ships = models!.createFilter();
      const shipped = filesUnder('models').filter((file) => ships(path.join(root, file), asFile));
      expect(shipped).toEqual(
        expect.arrayContaining([
          'models/default/model.onnx',
          'models/default/model.json',
          'models/detector/model.onnx',
        ]),
      );
      expect(shipped.filter((file) => file.startsWith('models/train/') || file.endsWith('.py'))).toEqual([]);
    });
  });

  it('flips exactly the fuses that verify-fuses.js checks', async () => {
    const { intendedFuses } = await importScript<{ intendedFuses: Record<string, { enabled: boolean }> }>(
      'verify-fuses.js',
    );
    expect(config.electronFuses).toEqual(
      Object.fromEntries(Object.entries(intendedFuses).map(([option, { enabled }]) => [option, enabled])),
    );
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      onlyLoadAppFromAsar: true,
      enableEmbeddedAsarIntegrityValidation: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('has one 512×512 PNG icon for the installers and the window', async () => {
    const icon = appFiles(path.join(root, 'dist', 'electron', 'main')).icon;
    for (const platform of platforms) expect(path.join(root, config[platform].icon)).toBe(icon);
    const meta = await sharp(icon).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 512, 512]);
  });
});

describe('scripts/verify-fuses.js on a synthetic binary', () => {
  let dir: string;
  // From @electron/fuses' constants: the marker before the wire, and the states '1' and '0'.
  const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
  const binary = (states: number[]) =>
    Buffer.concat([
      Buffer.alloc(64, 7),
      Buffer.from(SENTINEL),
      Buffer.from([1, states.length, ...states]),
      Buffer.alloc(64, 7),
    ]);
  // Fuse order of the V1 wire: RunAsNode, CookieEncryption, NodeOptions, NodeCliInspect, AsarIntegrity, OnlyLoadAppFromAsar, V8Snapshot, GrantFileProtocol
  const [on, off] = [0x31, 0x30];
  const intended = [off, on, off, off, on, on, off, off];

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'metascope-fuses-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const verify = (states: number[]) => {
    const file = path.join(dir, `electron-${states.join('-')}`);
    writeFileSync(file, binary(states));
    return spawnSync(process.execPath, [path.join(root, 'scripts', 'verify-fuses.js'), file], {
      encoding: 'utf8',
    });
  };

  it('passes the intended fuses', () => {
    const run = verify(intended);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).not.toContain('FAIL');
  });

  it('fails when runAsNode is left on, naming the fuse', () => {
    const run = verify([on, ...intended.slice(1)]);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/FAIL RunAsNode/);
  });
});

describe('scripts/dist.js', () => {
  it('recognises a failed download, and only that', async () => {
    const { looksLikeDownloadFailure } = await importScript<{
      looksLikeDownloadFailure(text: string): boolean;
    }>('dist.js');
    expect(looksLikeDownloadFailure('⨯ getaddrinfo ENOTFOUND github.com  failedTask=build')).toBe(true);
    expect(looksLikeDownloadFailure('RequestError: connect ETIMEDOUT 140.82.112.3:443')).toBe(true);
    expect(looksLikeDownloadFailure('⨯ Cannot find module "dist/electron/main/index.js"')).toBe(false);
  });
});
