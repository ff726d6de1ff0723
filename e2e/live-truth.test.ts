import { existsSync } from 'node:fs';
import { copyFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode, greyImage } from '../electron/core/capture/testing/images.js';
import { chromiumPath, collectProblems, hasChromium, launch, screenshot } from './support/browser.js';
import { ensureRendererBuilt } from './support/renderer.js';
import { scopeCaptures, writeScopeTestModel } from './support/scoped-model.js';
import { serveWatching, type ServeProcess } from './support/serve.js';

const hasEngine = existsSync('electron/core/engine/index.ts');
const skipped = !hasChromium
  ? ` (skipped: no Chromium at ${chromiumPath})`
  : !hasEngine
    ? ' (skipped: the engine is not in this checkout)'
    : '';

/** Results appear after the settle interval and one inference: generous on a busy 2-core machine. */
const arrival = { timeout: 120_000 };
const sizes = [
  { width: 1280, height: 720 },
  { width: 1440, height: 900 },
];

// Runs in the page (given the property as its argument); the tests compile without the DOM's types.
type Styled = { getComputedStyle(e: unknown): Record<string, string> };
const computed = (element: unknown, property: string) =>
  (globalThis as unknown as Styled).getComputedStyle(element)[property]!;

/**
 * Live against the real engine, as a lab sees it during a day: a queue bar that starts empty,
 * failures counted where the queue is, uncertain results that look uncertain, and notices (a
 * subfolder nobody watches, a copy of a capture already classified) that never cover a control
 * and can all be read again under Notices.
 */
describe.skipIf(skipped !== '')(`Live tells the truth${skipped}`, () => {
  let folder: string;
  let watch: string;
  let serve: ServeProcess;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let files: Awaited<ReturnType<typeof scopeCaptures>>;

  beforeAll(async () => {
    ensureRendererBuilt();
    ({ folder, watch, serve } = await serveWatching('metascope-e2e-live-', writeScopeTestModel));
    files = await scopeCaptures();
    browser = await launch();
    page = await browser.newPage({ viewport: sizes[0] });
    problems = collectProblems(page);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    await rm(folder, { recursive: true, force: true });
  }, 60_000);

  const live = () => page.goto(`${serve.url}#/live`);
  const queue = () => page.getByRole('region', { name: 'Queue' });
  const noticeArea = () => page.getByRole('region', { name: 'Notices' });

  it('starts with an empty queue bar, and "Last checked" ticks on by itself and moves with each check', async () => {
    await live();
    await page.getByText(/Running on/).waitFor();
    const bar = queue().getByRole('progressbar');
    expect(await bar.getAttribute('aria-valuenow')).toBe('0');
    expect(await bar.locator('.fill').evaluate(computed, 'width')).toBe('0px');
    await screenshots('live-truth-empty');

    const checked = page.getByRole('region', { name: 'Watched folders' }).getByText(/^Last checked/).first();
    // No event needed: the relative time ticks.
    await expect.poll(() => checked.textContent(), { timeout: 30_000 }).toMatch(/Last checked \d+ s ago/);
    // A new file wakes a check, and the time says so.
    await writeFile(path.join(watch, files.inScope.name), files.inScope.bytes);
    await expect.poll(() => checked.textContent(), { timeout: 30_000 }).toMatch(/Last checked just now/);
  }, 120_000);

  it('shows an uncertain result with the word and a hatched grey bar, never a class colour', async () => {
    await writeFile(path.join(watch, files.uncertain.name), files.uncertain.bytes);
    const unsure = page.locator('a.card', { hasText: files.uncertain.name });
    await expect.poll(() => unsure.getAttribute('class'), arrival).toContain('uncertain');
    expect(await unsure.textContent()).toMatch(/Uncertain \(bright\)\s*62 %/);
    await expect(unsure.locator('.class-name').count()).resolves.toBe(0);
    const unsureFill = unsure.locator('[role=meter] .fill');
    expect(await unsureFill.evaluate(computed, 'backgroundImage')).toContain('repeating-linear-gradient');

    const sure = page.locator('a.card', { hasText: files.inScope.name });
    await expect.poll(() => sure.textContent(), arrival).toMatch(/bright\s*73 %/);
    expect(await sure.getAttribute('class')).not.toContain('uncertain');
    expect(await sure.locator('[role=meter] .fill').evaluate(computed, 'backgroundImage')).toBe('none');
    // The bar is full now that everything queued is done.
    await expect.poll(() => queue().getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');
  }, 180_000);

  it('counts a failure in the queue panel, linking to History with only the failures', async () => {
    const name = 'notes-saved-as.png';
    await writeFile(path.join(watch, name), 'Not a picture: the microscope saved its notes under this name.\n');
    const failed = queue().getByRole('link', { name: /1 failed/ });
    await failed.waitFor(arrival);
    await screenshots('live-truth');

    await failed.click();
    await page.getByText('1 capture could not be classified.').waitFor();
    expect(await page.getByLabel('Status').inputValue()).toBe('failed');
    await page.locator('[role=row]', { hasText: name }).waitFor();
  }, 180_000);

  it('says a copy is the same picture as the capture already classified; the note fades and stays under Notices', async () => {
    await live();
    const copy = 'brightfield-cell copy.png';
    await copyFile(path.join(watch, files.inScope.name), path.join(watch, copy));
    const said = new RegExp(
      `^${escape(copy)} is the same picture as ${escape(files.inScope.name)}, classified at \\d\\d:\\d\\d:\\d\\d: it is not classified again\\.`,
    );
    const notice = noticeArea().getByText(said);
    await notice.waitFor(arrival);
    // A plain note: it fades by itself after a few seconds.
    await notice.waitFor({ state: 'hidden', timeout: 20_000 });

    const nav = page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: /^Notices/ });
    expect(Number((await nav.locator('.badge').textContent())?.trim())).toBeGreaterThanOrEqual(1);
    await nav.click();
    await page.getByRole('heading', { name: 'Notices' }).waitFor();
    await page.locator('main').getByText(said).waitFor();
    // Read: the count goes.
    await expect.poll(() => nav.locator('.badge').count()).toBe(0);
  }, 180_000);

  it('offers to watch a subfolder that receives files, in a strip that covers no control, and its button makes the folder recursive', async () => {
    await live();
    // A run folder filled elsewhere and copied in whole, as from another computer.
    const filling = path.join(folder, 'day2-filling');
    await mkdir(filling);
    const name = 'day2-A01.png';
    await writeFile(
      path.join(filling, name),
      await encode(
        greyImage(16, 16, 8, (x, y) => 161 + x * 4 + (y % 2)),
        'png',
      ),
    );
    await rename(filling, path.join(watch, 'day2'));

    const offer = noticeArea()
      .getByRole('status')
      .filter({ hasText: `1 file arrived in day2, which MetaScope does not watch: make ${watch} recursive` });
    await offer.waitFor(arrival);
    // It asks something: it does not fade.
    await page.waitForTimeout(7000);
    expect(await offer.isVisible()).toBe(true);
    await screenshots('live-truth-notice');

    for (const size of sizes) {
      await page.setViewportSize(size);
      const strip = (await noticeArea().boundingBox())!;
      const screen = (await page.locator('main').boundingBox())!;
      // Below the screen, not over it: every button of the screen stays reachable.
      expect(strip.y).toBeGreaterThanOrEqual(screen.y + screen.height - 1);
      expect(strip.y + strip.height).toBeLessThanOrEqual(size.height + 1);
    }
    await page.setViewportSize(sizes[0]!);

    await offer.getByRole('button', { name: 'Watch subfolders too' }).click();
    await offer.waitFor({ state: 'hidden' });
    await page
      .getByRole('region', { name: 'Watched folders' })
      .locator('li', { hasText: watch })
      .getByText('with subfolders')
      .waitFor();
    const card = page.locator('a.card', { hasText: name });
    await expect.poll(() => card.textContent(), arrival).toMatch(/%|Out of scope/);

    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: /^Notices/ }).click();
    await page.locator('main').getByText('Done: its subfolders are watched now.').waitFor();
    await screenshots('notices');
  }, 180_000);

  it('produced no console errors, script errors or CSP violations', () => {
    expect(problems).toEqual([]);
  });

  /** The screen as it is, at both laptop sizes. */
  async function screenshots(name: string): Promise<void> {
    for (const size of sizes) {
      await page.setViewportSize(size);
      await screenshot(page, `${name}-${size.width}x${size.height}`);
    }
    await page.setViewportSize(sizes[0]!);
  }
});

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
