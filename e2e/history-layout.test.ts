import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode, greyImage } from '../electron/core/capture/testing/images.js';
import { writeModelFolder, tinyModelSpec } from '../electron/core/model/testing/model-folder.js';
import { chromiumPath, collectProblems, hasChromium, launch, screenshot } from './support/browser.js';
import { ensureRendererBuilt } from './support/renderer.js';
import { serveWatching, type ServeProcess } from './support/serve.js';

const hasEngine = existsSync('electron/core/engine/index.ts');
const skipped = !hasChromium ? ` (skipped: no Chromium at ${chromiumPath})` : '';
const arrival = { timeout: 120_000 };

/** Long names as plate imagers write them: only the end (well, field) tells them apart. */
const captureCount = 16;
const nameOf = (i: number) =>
  `plate3_2026-11-30_HT1080_siRNA-knockdown_B07_field${String(i + 1).padStart(3, '0')}.tif`;
/** A model whose id and version are long enough to be cut by a careless column. */
const model = { id: 'brightfield-celltype-resnet50', version: '2.0.0-rc.1' };

describe.skipIf(!hasChromium || !hasEngine)(
  `History at laptop sizes, against the real engine${skipped}`,
  () => {
    let folder: string;
    let serve: ServeProcess;
    let browser: Browser;

    beforeAll(async () => {
      ensureRendererBuilt();
      ({ folder, serve } = await serveWatching('metascope-history-layout-', async (modelFolder) => {
        await writeModelFolder(modelFolder, tinyModelSpec, model);
      }));
      for (let i = 0; i < captureCount; i++) {
        const bytes = await encode(
          greyImage(32, 32, 8, (x, y) => (x * 5 + y * 3 + i * 11) % 256),
          'tiff',
        );
        await writeFile(path.join(folder, 'microscope', nameOf(i)), bytes);
      }
      browser = await launch();
    }, 300_000);

    afterAll(async () => {
      await browser?.close();
      await serve?.stop();
      await rm(folder, { recursive: true, force: true });
    }, 60_000);

    /** A fresh visitor (nothing remembered) at this window size, on History with every result in. */
    async function openHistory(width: number, height: number): Promise<Page> {
      const page = await (await browser.newContext({ viewport: { width, height } })).newPage();
      await page.goto(`${serve.url}#/history`);
      await expect
        .poll(async () => {
          await page.reload();
          return page.getByText(`${captureCount} results match the filter.`).isVisible();
        }, arrival)
        .toBe(true);
      await page.locator('.scroller [role=row]').first().waitFor();
      return page;
    }

    /** Rows wholly inside both the window and the table's scrolling area. */
    const rowsInView = (page: Page) =>
      page.locator('.scroller').evaluate((scroller, windowHeight) => {
        const area = scroller.getBoundingClientRect();
        const bottom = Math.min(area.bottom, windowHeight);
        return [...scroller.querySelectorAll('[role=row]')].filter((row) => {
          const box = row.getBoundingClientRect();
          return box.top >= area.top && box.bottom <= bottom && box.height > 0;
        }).length;
      }, page.viewportSize()!.height);

    it('shows at least 12 rows at 1280 × 720, filters and charts folded until opened', async () => {
      const page = await openHistory(1280, 720);
      const problems = collectProblems(page);
      await expect(
        page.getByRole('button', { name: 'Filters', exact: true }).getAttribute('aria-expanded'),
      ).resolves.toBe('false');
      await expect(
        page.getByRole('button', { name: 'Charts', exact: true }).getAttribute('aria-expanded'),
      ).resolves.toBe('false');
      await expect.poll(() => rowsInView(page)).toBeGreaterThanOrEqual(12);
      await screenshot(page, 'history-1280x720');
      expect(problems).toEqual([]);
    });

    it('never cuts the end of a file name, the model version or the time of day', async () => {
      const page = await openHistory(1280, 720);
      const cells = await page.locator('.scroller [role=row]').evaluateAll((rows) =>
        rows.map((row) => {
          // The tests compile without the DOM's types: the little of an element they use.
          type Shown = {
            getBoundingClientRect(): { right: number };
            querySelector(selector: string): Shown | null;
            getAttribute(name: string): string | null;
            textContent: string | null;
            scrollWidth: number;
            clientWidth: number;
          };
          const [name, , , , , , modelCell, time] = [
            ...row.querySelectorAll('[role=cell]'),
          ] as unknown as Shown[];
          const inside = (element: Shown, within: Shown) =>
            element.getBoundingClientRect().right <= within.getBoundingClientRect().right + 0.5;
          const end = name!.querySelector('.end')!;
          const table = row.closest('[role=table]') as unknown as Shown;
          return {
            title: name!.querySelector('.file-name')!.getAttribute('title'),
            start: name!.querySelector('.start')!.textContent,
            startCut: name!.querySelector('.start')!.scrollWidth > name!.querySelector('.start')!.clientWidth,
            end: end.textContent,
            endShown: inside(end, name!),
            version: modelCell!.querySelector('.whole')?.textContent,
            versionShown:
              inside(modelCell!.querySelector('.whole')!, modelCell!) && inside(modelCell!, table),
            time: time!.textContent?.trim(),
            timeShown: time!.scrollWidth <= time!.clientWidth && inside(time!, table),
          };
        }),
      );
      expect(cells.length).toBeGreaterThanOrEqual(12);
      for (const cell of cells) {
        // The name is shortened in its middle at this width, keeping its distinguishing end in view.
        expect(cell.startCut, JSON.stringify(cell)).toBe(true);
        expect(cell.end).toMatch(/_field\d{3}\.tif$/);
        expect(cell.endShown, JSON.stringify(cell)).toBe(true);
        expect(cell.title).toMatch(new RegExp(`${cell.start}${cell.end}$`.replace(/\./g, '\\.')));
        // A long model id may give way; its version never does.
        expect(cell.version).toBe(model.version);
        expect(cell.versionShown, JSON.stringify(cell)).toBe(true);
        expect(cell.time).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
        expect(cell.timeShown, JSON.stringify(cell)).toBe(true);
      }
      // Every row tells its capture apart by what is shown of its name.
      expect(new Set(cells.map((c) => c.end)).size).toBe(cells.length);
    });

    it('counts the active filters in a chip that stays in view when folded, and clears them all', async () => {
      const page = await openHistory(1280, 720);
      const chip = page.locator('.active-filters');
      await expect(chip.count()).resolves.toBe(0);
      await page.getByRole('button', { name: 'Filters', exact: true }).click();
      await page.getByLabel('File name contains').fill('field01');
      await chip.getByText('1 filter active').waitFor();
      await page.getByText('7 results match the filter.').waitFor();
      await page.getByLabel('Reviewed').selectOption('no');
      await chip.getByText('2 filters active').waitFor();
      await screenshot(page, 'history-filters-1280x720');
      // Folded, the filters still hold, and the chip still says so.
      await page.getByRole('button', { name: 'Filters', exact: true }).click();
      await expect(page.getByLabel('File name contains').isVisible()).resolves.toBe(false);
      await chip.getByText('2 filters active').waitFor();
      await page.getByText('7 results match the filter.').waitFor();
      await page.getByRole('button', { name: 'Clear filters' }).click();
      await page.getByText(`${captureCount} results match the filter.`).waitFor();
      await expect(chip.count()).resolves.toBe(0);
    });

    it('remembers which parts were opened, on this machine', async () => {
      const page = await openHistory(1280, 720);
      await page.getByRole('button', { name: 'Charts', exact: true }).click();
      await page.locator('#history-charts').waitFor();
      await page.reload();
      await page.getByText(`${captureCount} results match the filter.`).waitFor();
      await expect(
        page.getByRole('button', { name: 'Charts', exact: true }).getAttribute('aria-expanded'),
      ).resolves.toBe('true');
      await page.locator('#history-charts').waitFor();
      await expect(
        page.getByRole('button', { name: 'Filters', exact: true }).getAttribute('aria-expanded'),
      ).resolves.toBe('false');
      await page.getByRole('button', { name: 'Charts', exact: true }).click();
      await page.reload();
      await page.getByText(`${captureCount} results match the filter.`).waitFor();
      await expect(
        page.getByRole('button', { name: 'Charts', exact: true }).getAttribute('aria-expanded'),
      ).resolves.toBe('false');
      await expect(page.locator('#history-charts').count()).resolves.toBe(0);
    });

    it('opens filters and charts where there is room (1440 × 900), and names each thumbnail with its probability', async () => {
      const page = await openHistory(1440, 900);
      await expect(
        page.getByRole('button', { name: 'Filters', exact: true }).getAttribute('aria-expanded'),
      ).resolves.toBe('true');
      await page.locator('#history-charts').waitFor();
      await screenshot(page, 'history-1440x900');
      await page.getByRole('button', { name: 'Thumbnails' }).click();
      const first = page.locator('[aria-label="Result thumbnails"] [role=cell]').first();
      await first.waitFor();
      await expect(first.locator('.end').textContent()).resolves.toMatch(/_field\d{3}\.tif$/);
      await expect(first.locator('.probability').textContent()).resolves.toMatch(/^\d+ %$/);
      // The picture itself, not the dark square it loads into.
      await expect
        .poll(() =>
          first.locator('img').evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
        )
        .toBeGreaterThan(0);
      await screenshot(page, 'history-thumbnails-1440x900');
      await page.setViewportSize({ width: 1280, height: 720 });
      await page.getByRole('button', { name: 'Filters', exact: true }).click();
      await page.getByRole('button', { name: 'Charts', exact: true }).click();
      await screenshot(page, 'history-thumbnails-1280x720');
    });
  },
);
