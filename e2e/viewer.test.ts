import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode, greyImage } from '../electron/core/capture/testing/images.js';
import { sha256Of } from '../electron/core/engine/testing/engine-world.js';
import { writeModelFolder } from '../electron/core/model/testing/model-folder.js';
import { chromiumPath, collectProblems, hasChromium, launch, screenshot } from './support/browser.js';
import { ensureRendererBuilt } from './support/renderer.js';
import { serveWatching, type ServeProcess } from './support/serve.js';

const hasEngine = existsSync('electron/core/engine/index.ts');
const skipped = !hasChromium ? ` (skipped: no Chromium at ${chromiumPath})` : '';
const arrival = { timeout: 120_000 };

/** 12-bit data in a 16-bit file, every value known: 1000 + 10·x + y, so 1000 … 3139. */
const width = 200;
const height = 150;
const rawValue = (x: number, y: number) => 1000 + 10 * x + y;

interface Named {
  name: string;
  bytes: Buffer;
}

async function viewerCaptures(): Promise<{ sixteen: Named; calibrated: Named; plain: Named }> {
  const sixteen = {
    name: 'viewer-16bit.tif',
    bytes: await encode(greyImage(width, height, 16, rawValue), 'tiff'),
  };
  // Pixels of 0.65 µm, stated in the TIFF's resolution tags as a microscope's export does.
  const calibrated = {
    name: 'calibrated-0.65um.tif',
    bytes: await sharp(greyImage(96, 96, 8, (x, y) => (x * 2 + y) % 256).data, {
      raw: { width: 96, height: 96, channels: 1 },
    })
      .toColourspace('b-w')
      .tiff({ compression: 'lzw', xres: 1000 / 0.65, yres: 1000 / 0.65, resolutionUnit: 'cm' })
      .toBuffer(),
  };
  const plain = {
    name: 'plain.png',
    bytes: await encode(
      greyImage(64, 64, 8, (x) => x * 4),
      'png',
    ),
  };
  return { sixteen, calibrated, plain };
}

describe.skipIf(!hasChromium || !hasEngine)(
  `The capture viewer's tools, against the real engine${skipped}`,
  () => {
    let folder: string;
    let serve: ServeProcess;
    let browser: Browser;
    let page: Page;
    let problems: string[];
    let captures: Awaited<ReturnType<typeof viewerCaptures>>;

    beforeAll(async () => {
      ensureRendererBuilt();
      ({ folder, serve } = await serveWatching('metascope-viewer-', (modelFolder) =>
        writeModelFolder(modelFolder).then(() => undefined),
      ));
      captures = await viewerCaptures();
      for (const capture of Object.values(captures))
        await writeFile(path.join(folder, 'microscope', capture.name), capture.bytes);
      browser = await launch();
      page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
      problems = collectProblems(page);
      // Every capture classified before the tests look at them.
      await page.goto(`${serve.url}#/history`);
      const started = Date.now();
      while (!(await page.getByText('3 results match the filter.').isVisible())) {
        if (Date.now() - started > arrival.timeout) throw new Error(`Not all classified:\n${serve.log()}`);
        await page.waitForTimeout(1000);
        await page.reload();
      }
    }, 300_000);

    afterAll(async () => {
      await browser?.close();
      await serve?.stop();
      await rm(folder, { recursive: true, force: true });
    }, 60_000);

    async function open(capture: Named) {
      await page.goto(`${serve.url}#/capture/${sha256Of(capture.bytes)}`);
      await page.getByRole('heading', { name: capture.name }).waitFor();
      await expect
        .poll(() =>
          page
            .locator('.viewport img')
            .evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
        )
        .toBeGreaterThan(0);
    }

    /** Where the low or high mark stands, as a fraction of the histogram's width. */
    const markAt = (which: 'low' | 'high') =>
      page
        .locator(`.histogram line[data-mark=${which}]`)
        .evaluate((line) => Number(line.getAttribute('x1')) / 300);

    it('draws the histogram of the 16-bit raw values under the sliders, with the window marked', async () => {
      await open(captures.sixteen);
      const histogram = page.locator('figure.histogram');
      await histogram.waitFor();
      await expect(histogram.locator('figcaption').textContent()).resolves.toMatch(/^1,000.*3,139$/);
      // 2140 values over at most 256 bins of 9 values each.
      await expect(histogram.locator('rect.bar').count()).resolves.toBe(238);
      // The automatic window lies just inside the data, so both marks stand inside the drawing.
      expect(await markAt('low')).toBeGreaterThan(0);
      expect(await markAt('high')).toBeLessThan(1);
      await page.getByLabel('Black point').fill('2070');
      await expect.poll(() => markAt('low')).toBeCloseTo((2070 - 1000) / 2140, 3);
      await page.getByLabel('Automatic').check();
      await screenshot(page, 'capture-viewer-16bit-1440x900');
    });

    it('reads the raw value and place of the pixel under the cursor', async () => {
      await open(captures.sixteen);
      const readout = page.getByTestId('pixel-readout');
      const pointAt = async (x: number, y: number) => {
        const box = (await page.locator('.viewport img').boundingBox())!;
        await page.mouse.move(
          box.x + ((x + 0.5) / width) * box.width,
          box.y + ((y + 0.5) / height) * box.height,
        );
      };
      await pointAt(120, 45);
      await expect.poll(() => readout.textContent()).toMatch(/x 120, y 45:\s*2,245/);
      await pointAt(0, 0);
      await expect.poll(() => readout.textContent()).toMatch(/x 0, y 0:\s*1,000/);
      await pointAt(199, 149);
      await expect.poll(() => readout.textContent()).toMatch(/x 199, y 149:\s*3,139/);
      await page.setViewportSize({ width: 1280, height: 720 });
      await pointAt(120, 45);
      await expect.poll(() => readout.textContent()).toMatch(/x 120, y 45:\s*2,245/);
      await screenshot(page, 'capture-viewer-16bit-1280x720');
      await page.setViewportSize({ width: 1440, height: 900 });
    });

    it('draws a scale bar where the file states its pixel size, and none where it does not', async () => {
      await open(captures.calibrated);
      const bar = page.getByRole('img', { name: /^Scale bar: / });
      await bar.waitFor();
      // Whatever its round length, the bar spans that many micrometres at 0.65 µm a pixel at this zoom.
      const label = (await bar.getAttribute('aria-label'))!;
      const microns = Number(/Scale bar: ([\d.]+) µm/.exec(label)?.[1]);
      const barWidth = (await bar.locator('.bar').boundingBox())!.width;
      const picture = (await page.locator('.viewport img').boundingBox())!;
      expect(barWidth).toBeCloseTo((microns / 0.65) * (picture.width / 96), 0);
      await page.getByText('0.65 µm per pixel').waitFor();
      // The place under the cursor in micrometres too: the centre of pixel (10, 20) is 6.8, 13.3 µm in.
      const box = (await page.locator('.viewport img').boundingBox())!;
      await page.mouse.move(box.x + (10.5 / 96) * box.width, box.y + (20.5 / 96) * box.height);
      await expect
        .poll(() => page.getByTestId('pixel-readout').textContent())
        .toMatch(/x 10, y 20 \(6\.8, 13\.3 µm\):\s*40/);
      await screenshot(page, 'capture-scale-bar-1440x900');
      await page.setViewportSize({ width: 1280, height: 720 });
      await screenshot(page, 'capture-scale-bar-1280x720');
      await page.setViewportSize({ width: 1440, height: 900 });

      await open(captures.plain);
      await page.getByText('Point at the picture for the raw value of a pixel.').waitFor();
      await expect(page.getByRole('img', { name: /^Scale bar: / }).count()).resolves.toBe(0);
    });

    /**
     * The capture `name` is open and knows its neighbours: a link where it has one, a greyed button
     * where it has none. Until they are known both are greyed, and [ ] do nothing.
     */
    async function at(name: string, has: { previous: boolean; next: boolean }) {
      await page.getByRole('heading', { name }).waitFor();
      for (const [label, present] of [
        ['‹ Previous', has.previous],
        ['Next ›', has.next],
      ] as const) {
        const control = page.getByRole(present ? 'link' : 'button', { name: label });
        await control.waitFor();
        if (!present) await expect(control.isDisabled()).resolves.toBe(true);
      }
    }

    it('steps to the next and previous capture in the order of the History list it was opened from', async () => {
      await page.goto(`${serve.url}#/history`);
      await page.getByText('3 results match the filter.').waitFor();
      await page.getByRole('button', { name: /^File/ }).click();
      const rows = page.locator('.scroller [role=row]');
      await expect.poll(() => rows.first().textContent()).toContain(captures.calibrated.name);
      await rows.first().locator('a').click();
      await at(captures.calibrated.name, { previous: false, next: true });
      await page.keyboard.press(']');
      await at(captures.plain.name, { previous: true, next: true });
      await page.getByRole('link', { name: 'Next ›' }).click();
      await at(captures.sixteen.name, { previous: true, next: false });
      await page.keyboard.press('ArrowLeft');
      await at(captures.plain.name, { previous: true, next: true });
      await page.keyboard.press('[');
      await at(captures.calibrated.name, { previous: false, next: true });
    }, 60_000);

    it('steps newest first when the capture was opened from Live, even the one last reached in History', async () => {
      await page.goto(`${serve.url}#/live`);
      const cards = page.locator('a.card');
      await expect.poll(() => cards.count()).toBe(3);
      const nameIn = (text: string | null) =>
        Object.values(captures).find((c) => text?.includes(c.name))!.name;
      const live = [0, 1, 2].map(async (i) => nameIn(await cards.nth(i).textContent()));
      const order = await Promise.all(live);
      // The History test above ended on the calibrated capture: opened again from Live, it follows Live's order.
      const at0 = order.indexOf(captures.calibrated.name);
      await cards.nth(at0).click();
      await at(order[at0]!, { previous: at0 > 0, next: at0 < 2 });
      await page.keyboard.press(at0 < 2 ? ']' : '[');
      const to = at0 < 2 ? at0 + 1 : at0 - 1;
      await at(order[to]!, { previous: to > 0, next: to < 2 });
      expect(problems).toEqual([]);
    }, 60_000);
  },
);
