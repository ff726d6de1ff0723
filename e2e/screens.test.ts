import { createHash } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, collectProblems, hasChromium, launch, screenshot } from './support/browser.js';
import { fieldCapture, sampleCaptures } from './support/captures.js';
import { ensureRendererBuilt } from './support/renderer.js';
import { writeShippedModelWithoutScope } from './support/scoped-model.js';
import { serveWatching, type ServeProcess } from './support/serve.js';

const noChromium = hasChromium ? '' : ` (skipped: no Chromium at ${chromiumPath}; apt-get install chromium)`;

/** A laptop's screen and a common desktop one: every screen must work on both. */
const sizes = [
  { width: 1280, height: 720 },
  { width: 1440, height: 900 },
];

describe.skipIf(!hasChromium)(`every screen at a laptop's and a desktop's size${noChromium}`, () => {
  let folder: string;
  let serve: ServeProcess;
  let browser: Browser;
  let captureSha: string;
  let fieldSha: string;
  let folderId: number;

  beforeAll(async () => {
    await ensureRendererBuilt();
    // The shipped model without its scope check (generated captures are rightly outside it), so the
    // screens show classes as a lab sees them.
    let watch: string;
    ({ folder, watch, serve } = await serveWatching('metascope-screens-', writeShippedModelWithoutScope));
    const captures = [...(await sampleCaptures(14)), await fieldCapture()];
    for (const capture of captures) await writeFile(path.join(watch, capture.name), capture.bytes);
    browser = await launch();
    const page = await browser.newPage();
    await page.goto(`${serve.url}#/history`);
    // History offers newer results rather than moving the list under the reader: take them until all are in.
    const everyResult = page.getByText(`${captures.length} results match the filter.`);
    for (let waited = 0; !(await everyResult.isVisible()); waited += 1000) {
      if (waited > 240_000)
        throw new Error(`Not every capture was classified:\n${await page.locator('main').innerText()}`);
      const newer = page.getByRole('button', { name: /show them/ });
      if (await newer.isVisible()) await newer.click();
      await page.waitForTimeout(1000);
    }
    // A capture is known by the SHA-256 of its bytes.
    const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
    captureSha = sha256(captures[0]!.bytes);
    fieldSha = sha256(captures.at(-1)!.bytes);
    // The microscope folder's plate, reached as a person would: from its row in Settings.
    await page.goto(`${serve.url}#/settings`);
    const plateLink = page
      .locator('li, tr, .folder', { hasText: path.basename(watch) })
      .getByText('Plate view');
    folderId = Number((await plateLink.first().getAttribute('href'))!.split('/').pop());
    await page.close();
  }, 420_000);

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    await rm(folder, { recursive: true, force: true });
  }, 60_000);

  const screens = () => [
    { name: 'live', hash: '#/live', ready: 'Live' },
    { name: 'history', hash: '#/history', ready: 'History' },
    { name: 'capture', hash: `#/capture/${captureSha}`, ready: null },
    { name: 'field', hash: `#/capture/${fieldSha}`, ready: 'Cells in this field' },
    { name: 'review', hash: '#/review', ready: 'Review' },
    { name: 'models', hash: '#/models', ready: 'Models' },
    { name: 'plate', hash: `#/plate/${folderId}`, ready: null },
    { name: 'settings', hash: '#/settings', ready: 'Settings' },
  ];

  for (const size of sizes) {
    it(`shows every screen at ${size.width}x${size.height} without a page wider than the window`, async () => {
      const page = await browser.newPage({ viewport: size });
      const problems = collectProblems(page);
      for (const screen of screens()) {
        await page.goto(`${serve.url}${screen.hash}`);
        await page.locator('main h1').first().waitFor();
        if (screen.ready) await page.getByRole('heading', { name: screen.ready }).first().waitFor();
        // A capture's screen is looked at with its picture drawn.
        if (screen.hash.startsWith('#/capture/'))
          await expect
            .poll(
              () =>
                page
                  .locator('.viewport img')
                  .evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
              {
                timeout: 30_000,
              },
            )
            .toBeGreaterThan(0);
        // Written as text: the tests compile without the DOM's types.
        const overflow = await page.evaluate<number>(
          'document.documentElement.scrollWidth - document.documentElement.clientWidth',
        );
        expect(overflow, `${screen.name} is wider than the window`).toBeLessThanOrEqual(0);
        await screenshot(page, `screen-${screen.name}-${size.width}x${size.height}`);
      }
      expect(problems).toEqual([]);
      await page.close();
    }, 180_000);
  }
});
