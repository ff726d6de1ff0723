import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The packaging setup, checked without building installers (that needs downloads): the
 * electron-builder config against electron-builder's own schema and our intentions, the icon,
 * the fuse check on a synthetic binary, and how `npm run dist` recognises a failed download.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

type Config = {
  appId: string;
  productName: string;
  asarUnpack: string[];
  extraResources: Array<{ from: string; to: string }>;
  electronFuses: Record<string, boolean>;
  linux: { target: string[]; icon: string };
  win: { target: Array<{ target: string }> };
  mac: { target: Array<{ target: string }> };
  files: string[];
};

const yaml = require('js-yaml') as { load(text: string): unknown };
const config = yaml.load(readFileSync(path.join(root, 'electron-builder.yml'), 'utf8')) as Config;
const importScript = async <T>(name: string): Promise<T> =>
  (await import(pathToFileURL(path.join(root, 'scripts', name)).href)) as T;

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

  it('unpacks every native module from the asar, with the libraries beside it', () => {
    for (const name of ['onnxruntime-node', 'sharp', '@img', 'better-sqlite3']) {
      expect(config.asarUnpack, name).toContain(`**/node_modules/${name}/**`);
    }
  });

  it('ships models/ as a resource, where the main process points METASCOPE_MODELS', () => {
    expect(config.extraResources).toContainEqual(expect.objectContaining({ from: 'models', to: 'models' }));
    const main = readFileSync(path.join(root, 'electron', 'main', 'index.ts'), 'utf8');
    expect(main).toContain("process.env.METASCOPE_MODELS = path.join(process.resourcesPath, 'models')");
  });

  it('packs only the compiled app (no sources, tests or source maps)', () => {
    expect(config.files).toEqual(
      expect.arrayContaining([
        'package.json',
        'dist/electron/**/*',
        'dist/renderer/**/*',
        '!dist/electron/**/*.map',
      ]),
    );
    expect(config.files.some((pattern) => /^(electron|renderer|e2e|bench|models)\//.test(pattern))).toBe(
      false,
    );
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

  it('has a 512×512 PNG icon', async () => {
    const meta = await sharp(path.join(root, config.linux.icon)).metadata();
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
