import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode, greyImage } from '../electron/core/capture/testing/images.js';
import { writeModelFolder } from '../electron/core/model/testing/model-folder.js';
import { chromiumPath, collectProblems, hasChromium, launch, screenshot } from './support/browser.js';
import { ensureRendererBuilt } from './support/renderer.js';
import { serveWatching, type ServeProcess } from './support/serve.js';

const hasEngine = existsSync('electron/core/engine/index.ts');
const skipped = hasChromium ? '' : ` (skipped: no Chromium at ${chromiumPath})`;
/** Results appear after the watcher's settle interval and one inference: generous on a busy machine. */
const arrival = { timeout: 120_000 };

/** The test model calls a capture bright when its mean grey is high: two of each, small enough to be one cell. */
const greys = { 'well-A1.png': 30, 'well-A2.png': 60, 'well-B1.png': 200, 'well-B2.png': 230 };
const corrected = 'well-B1.png';

/** The cells of a CSV line (quoted cells may hold commas). */
const cellsOf = (line: string): string[] =>
  [...line.matchAll(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)].slice(0, -1).map((m) => m[1]!.replace(/^"|"$/g, ''));

describe.skipIf(!hasChromium || !hasEngine)(`final labels in History, against the real engine${skipped}`, () => {
  let folder: string;
  let watch: string;
  let serve: ServeProcess;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    await ensureRendererBuilt();
    ({ folder, watch, serve } = await serveWatching('metascope-e2e-labels-', async (model) => void (await writeModelFolder(model))));
    browser = await launch();
    page = await (
      await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true })
    ).newPage();
    problems = collectProblems(page);
    for (const [name, grey] of Object.entries(greys))
      await writeFile(path.join(watch, name), await encode(greyImage(16, 16, 8, () => grey), 'png'));
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    await rm(folder, { recursive: true, force: true });
  }, 60_000);

  /** The screen as it is now, at a laptop's size and at a desktop's, back at the desktop's after. */
  const screens = async (name: string) => {
    for (const [width, height] of [
      [1280, 720],
      [1440, 900],
    ] as const) {
      await page.setViewportSize({ width, height });
      await screenshot(page, `${name}-${width}x${height}`);
    }
  };
  const results = (n: number) => page.getByText(`${n} result${n === 1 ? '' : 's'} match the filter.`);
  const chip = (name: string) => page.getByRole('button', { name, exact: true });

  it('counts and filters by the label a person gave, with what the model said beside it', async () => {
    await page.goto(`${serve.url}#/history`);
    await expect
      .poll(async () => (await results(4).isVisible()) || (await page.reload(), false), arrival)
      .toBe(true);
    await chip('bright').click();
    await results(2).waitFor();

    // A person says the darker of the two bright ones is dim after all.
    await page.getByRole('link', { name: corrected }).click();
    await page.getByRole('heading', { name: corrected }).waitFor();
    await page.getByRole('radio', { name: 'dim' }).check({ force: true });
    await page.getByRole('button', { name: /Save correction/ }).click();
    // The first review asks who is reviewing (e2e/review-queue.test.ts tests that dialog).
    await page.getByRole('dialog').getByLabel('Your name').fill('e2e');
    await page.keyboard.press('Enter');
    await page.getByText('model said bright').first().waitFor();
    await screens('capture-final-label');
    await page.goto(`${serve.url}#/live`);
    await page.locator('a.card', { hasText: corrected }).getByText('model said bright').waitFor();
    await screens('live-final-label');

    // History keeps its filter and rows while a capture is looked at, and offers what changed.
    await page.goto(`${serve.url}#/history`);
    await page.getByRole('button', { name: /show them/ }).click();
    await results(1).waitFor();
    await chip('All').click();
    await results(4).waitFor();
    await page.locator('[role=row]', { hasText: corrected }).getByText('model said bright').waitFor();
    await chip('dim').click();
    await results(3).waitFor();
    await chip('bright').click();
    await results(1).waitFor();
    // What the model said is still there to filter by.
    await chip('All').click();
    await page.getByLabel('Model said').selectOption('bright');
    await results(2).waitFor();
    await page.getByLabel('Model said').selectOption('');
    await results(4).waitFor();
    expect(problems).toEqual([]);
  }, 240_000);

  it('shows how often reviewers kept the model’s class, with its interval', async () => {
    const figure = page.getByRole('figure', { name: 'Model and reviewers' });
    await figure.getByText('bright', { exact: true }).waitFor();
    // One reviewed, none kept: 0 %, and a 95 % interval up to 79 %.
    await expect.poll(() => figure.textContent()).toMatch(/By the class the model gave\s*bright\s*0 %\s*0 %–79 % · 0\/1/);
    await screens('history-final-labels');
    await page.getByRole('button', { name: 'Thumbnails' }).click();
    // Said beside the label, cut where the thumbnail is narrow (whole on hover).
    await expect
      .poll(() => page.locator('a', { has: page.getByAltText(corrected) }).textContent())
      .toContain('model said bright');
    await screens('history-thumbnails-final-labels');
    await page.getByRole('button', { name: 'Table' }).click();
  });

  it('exports the final label and what the model said, in the order shown, at local time', async () => {
    await page.getByRole('button', { name: 'File' }).click();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    const [header, ...lines] = (await readFile((await download.path())!, 'utf8')).trim().split(/\r?\n/);
    const columns = cellsOf(header!);
    const records = lines.map((line) => {
      const cells = cellsOf(line);
      return Object.fromEntries(columns.map((name, i) => [name, cells[i]]));
    });
    const shown = await page.locator('[role=row] [role=cell].name').allTextContents();
    expect(records.map((r) => r.file_name)).toEqual(shown.map((name) => name.trim()));
    expect(records.find((r) => r.file_name === corrected)).toMatchObject({
      final_label: 'dim',
      model_class: 'bright',
      state: 'done',
    });
    expect(records.find((r) => r.file_name === 'well-B2.png')).toMatchObject({ final_label: 'bright', model_class: 'bright' });
    for (const record of records) expect(record.classified_at).toMatch(/T\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
  });
});
