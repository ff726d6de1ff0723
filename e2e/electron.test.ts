import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The desktop app end to end, with the real Electron runtime: a fresh data folder and inbox, a
 * capture copied into the inbox, its card (and its picture, through the image protocol) on Live.
 * Runs wherever an Electron binary exists (a normal install, or ELECTRON_OVERRIDE_DIST_PATH);
 * elsewhere it is skipped and says why. It drives the built app: `npm run build` first.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The runtime the electron package points at (it honours ELECTRON_OVERRIDE_DIST_PATH); null when absent. */
function electronBinary(): string | null {
  try {
    const found = createRequire(import.meta.url)('electron') as unknown;
    return typeof found === 'string' && existsSync(found) ? found : null;
  } catch {
    return null; // "Electron failed to install correctly": the runtime was never downloaded
  }
}
const binary = electronBinary();
const built =
  existsSync(path.join(root, 'dist', 'electron', 'main', 'index.js')) &&
  existsSync(path.join(root, 'dist', 'renderer', 'index.html'));

// CI sets METASCOPE_REQUIRE_ELECTRON=1 where the runtime must be there: a skip would hide a broken setup.
const required = process.env.METASCOPE_REQUIRE_ELECTRON === '1';

interface ElectronSqlite {
  electronSqlitePlace(root: string, platform: string, arch: string): { addon: string };
}
const electronSqliteAddon = async () => {
  const script = (await import(
    pathToFileURL(path.join(root, 'scripts', 'electron-sqlite.js')).href
  )) as ElectronSqlite;
  return script.electronSqlitePlace(root, process.platform, process.arch);
};
describe.runIf(!binary && required)('desktop app (Electron) is required here', () => {
  it('has an Electron runtime', () => {
    throw new Error(
      'METASCOPE_REQUIRE_ELECTRON=1 but no Electron runtime was found (run `node node_modules/electron/install.js`).',
    );
  });
});

if (!binary && !required) {
  console.warn(
    '[e2e/electron] SKIPPED: no Electron runtime here (node_modules/electron has no downloaded binary and ELECTRON_OVERRIDE_DIST_PATH is not set). ' +
      'The desktop app was NOT tested; the browser e2e covers the same screens.',
  );
}

describe.skipIf(!binary)('desktop app (Electron)', () => {
  let app: ElectronApplication;
  let page: Page;
  let data: string;
  let inbox: string;
  const log: string[] = [];

  beforeAll(async () => {
    if (!built) throw new Error('The app is not built: run `npm run build` before the Electron e2e.');
    data = mkdtempSync(path.join(tmpdir(), 'metascope-e2e-data-'));
    inbox = mkdtempSync(path.join(tmpdir(), 'metascope-e2e-inbox-'));
    const args = [root];
    // Chromium refuses to run as root with its OS sandbox (containers, some CI); the renderer's own
    // sandbox: true setting is unaffected.
    if (process.getuid?.() === 0) args.push('--no-sandbox');
    app = await _electron.launch({
      executablePath: binary as string,
      args,
      cwd: root,
      env: {
        ...(process.env as Record<string, string>),
        METASCOPE_DATA: data,
        METASCOPE_INBOX: inbox,
        // The better-sqlite3 build for Electron that `npm run rebuild:electron` made (npm start does the same).
        METASCOPE_SQLITE_ADDON: (await electronSqliteAddon()).addon,
        ELECTRON_RUN_AS_NODE: '',
      },
      timeout: 60_000,
    });
    app.process().stderr?.on('data', (chunk: Buffer) => log.push(chunk.toString()));
    page = await app.firstWindow({ timeout: 60_000 });
    await page.waitForLoadState('domcontentloaded');
  }, 120_000);

  afterAll(async () => {
    await app?.close().catch(() => undefined);
    for (const folder of [data, inbox]) if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('loads the renderer from app://metascope with only the bridge exposed', async () => {
    expect(page.url()).toMatch(/^app:\/\/metascope\//);
    const globals = await page.evaluate(() => {
      const g = globalThis as unknown as Record<string, unknown>;
      const bridge = g.metascope as Record<string, unknown> | undefined;
      return {
        bridge: bridge ? Object.keys(bridge).sort() : null,
        require: typeof g.require,
        process: typeof g.process,
        module: typeof g.module,
      };
    });
    expect(globals).toEqual({
      bridge: ['pathForFile', 'receive', 'send'],
      require: 'undefined',
      process: 'undefined',
      module: 'undefined',
    });
  });

  it('serves the page with a strict Content-Security-Policy header', async () => {
    const csp = await page.evaluate(async () => {
      const here = (globalThis as unknown as { location: { href: string } }).location.href;
      return (await fetch(here)).headers.get('content-security-policy');
    });
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
  });

  it('refuses navigation away and new windows', async () => {
    await page.evaluate(() => {
      const w = globalThis as unknown as {
        open(url: string, target: string): unknown;
        location: { href: string };
      };
      w.open('https://example.com', '_blank');
      w.location.href = 'https://example.com/';
    });
    await page.waitForTimeout(500);
    expect(page.url()).toMatch(/^app:\/\/metascope\//);
    expect(app.windows()).toHaveLength(1);
  });

  it('classifies a capture copied into the inbox and shows it on Live, with its picture', async () => {
    const name = `e2e-${Date.now()}.png`;
    const pixels = Buffer.alloc(64 * 64, 0);
    for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7) % 256;
    const png = await sharp(pixels, { raw: { width: 64, height: 64, channels: 1 } })
      .png()
      .toBuffer();
    writeFileSync(path.join(inbox, name), png);

    const card = page.getByText(name, { exact: true }).first();
    await card.waitFor({ state: 'visible', timeout: 90_000 });
    const thumbnail = page.locator(`img[alt="${name}"]`).first();
    await thumbnail.waitFor({ state: 'visible', timeout: 30_000 });
    await expect
      .poll(
        () =>
          thumbnail.evaluate((element) => {
            const img = element as unknown as { complete: boolean; naturalWidth: number };
            return img.complete ? img.naturalWidth : 0;
          }),
        { timeout: 30_000 },
      )
      .toBeGreaterThan(0);
    expect(await thumbnail.getAttribute('src')).toMatch(/^metascope-image:\/\/capture\/[0-9a-f]{64}\?/);
  }, 180_000);

  it('closes cleanly: the engine process finishes and the app exits', async () => {
    const exited = new Promise<number | null>((resolve) =>
      app.process().once('exit', (code) => resolve(code)),
    );
    await app.close();
    expect(await exited).toBe(0);
    expect(log.join('')).not.toMatch(/did not close in time/);
  }, 60_000);
});
