import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flatCapture } from '../electron/core/engine/testing/engine-world.js';
import { tinyModelSpec, writeModelFolder } from '../electron/core/model/testing/model-folder.js';
import { chromiumPath, collectProblems, hasChromium, launch, screenshot } from './support/browser.js';
import { ensureRendererBuilt } from './support/renderer.js';
import { serveWatching, type ServeProcess } from './support/serve.js';

const noChromium = hasChromium ? '' : ` (skipped: no Chromium at ${chromiumPath})`;
/** Results appear after the watcher's settle interval and one inference: generous on a busy 2-core machine. */
const arrival = { timeout: 120_000 };
const sizes = [
  { width: 1280, height: 720 },
  { width: 1440, height: 900 },
];

/**
 * Models in browser mode against the real engine: the card and counts, a second model re-run on
 * the captures of a folder, the comparison of the two, and provenance that survives a new version.
 * The tiny test model calls a flat capture bright above 127.5 of 255; the "eager" one above 63.75.
 */
describe.skipIf(!hasChromium)(`models and their comparison in the browser${noChromium}`, () => {
  let folder: string;
  let watch: string;
  let serve: ServeProcess;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let eagerFolder: string;

  beforeAll(async () => {
    ensureRendererBuilt();
    ({ folder, watch, serve } = await serveWatching('metascope-models-e2e-', async (model) => {
      await writeModelFolder(model);
    }));
    eagerFolder = path.join(folder, 'eager-model');
    await writeModelFolder(
      eagerFolder,
      { ...tinyModelSpec, bias: [-1] },
      { id: 'test-eager', name: 'Eager model' },
    );
    for (const [name, value] of [
      ['dark.png', 30],
      ['middle.png', 100],
      ['bright.png', 220],
    ] as const)
      await writeFile(path.join(watch, name), await flatCapture(value));
    browser = await launch();
    page = await (await browser.newContext({ viewport: sizes[1] })).newPage();
    problems = collectProblems(page);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    if (folder) await rm(folder, { recursive: true, force: true });
  }, 60_000);

  const card = (name: RegExp | string) => page.getByRole('article', { name });
  /** A fresh load of a screen: History keeps its rows in the page and only offers newer ones. */
  const open = async (screen: string) => {
    await page.goto(`${serve.url}#/${screen}`);
    await page.reload();
  };

  it('shows each model with its card, measured accuracy and result count', async () => {
    await open('history');
    await page.getByText('3 results match the filter.').waitFor(arrival);
    await open('models');
    const active = card('Test model (mean brightness) 1.0.0');
    await expect.poll(() => active.getByTestId('result-count').textContent()).toBe('3 results');
    // The shipped default model: its MODEL_CARD.md and metrics.json, read from models/default.
    if (existsSync('models/default/MODEL_CARD.md')) {
      const shippedJson = JSON.parse(await readFile('models/default/model.json', 'utf8')) as {
        name: string;
        version: string;
      };
      const shipped = card(`${shippedJson.name} ${shippedJson.version}`);
      await expect
        .poll(() => shipped.getByLabel('Measured accuracy').textContent())
        .toMatch(/balanced accuracy 0\.917\s*\(0\.863 to 0\.960\)/);
      await shipped.locator('summary').click();
      await shipped.getByRole('heading', { name: /Model card: brightfield-hek293a-ht1080/ }).waitFor();
      await expect(shipped.getByRole('cell', { name: '0.917' }).first().isVisible()).resolves.toBe(true);
      await screenshot(page, 'models-card-open');
      await shipped.locator('summary').click();
    }
    await page.getByLabel('Model folder').fill(eagerFolder);
    await page.getByRole('button', { name: 'Import' }).click();
    await expect
      .poll(() => card('Eager model 1.0.0').getByTestId('result-count').textContent())
      .toBe('0 results');
    await expect(card('Eager model 1.0.0').getByRole('button', { name: 'Remove' }).isVisible()).resolves.toBe(
      true,
    );
    await expect(active.getByRole('button', { name: 'Remove' }).count()).resolves.toBe(0);
  }, 240_000);

  it('re-runs the second model on a folder: its results are added, and History shows both', async () => {
    const panel = page.getByRole('region', { name: 'Re-run a model' });
    await panel.getByLabel('Model to run').selectOption({ label: 'Eager model 1.0.0' });
    await panel.getByLabel('Folder', { exact: true }).selectOption({ label: watch });
    for (const size of sizes) {
      await page.setViewportSize(size);
      await page.locator('main').evaluate((main) => main.scrollTo(0, 0));
      await screenshot(page, `models-${size.width}x${size.height}`);
      await panel.scrollIntoViewIfNeeded();
      await screenshot(page, `models-rerun-${size.width}x${size.height}`);
    }
    await panel.getByRole('button', { name: 'Re-run' }).click();
    await expect
      .poll(async () => (await panel.getByRole('status').textContent())?.replace(/\s+/g, ' '), arrival)
      .toMatch(/test-eager 1\.0\.0: 3 of 3 captures classified; finished\./);
    await panel.getByRole('button', { name: 'Re-run' }).waitFor();
    await expect
      .poll(() => card('Eager model 1.0.0').getByTestId('result-count').textContent())
      .toBe('3 results');
    await open('history');
    await page.getByText('6 results match the filter.').waitFor();
  }, 240_000);

  it('compares the two: the agreement table on top, the disagreements below, each linked to its capture', async () => {
    await open('compare');
    await page.getByLabel('Model B (columns)').selectOption({ label: 'Eager model 1.0.0' });
    await page.getByText(/They agree on 2 of 3 captures: 66\.7\s?%/).waitFor();
    const table = page.getByRole('table', { name: 'Agreement table' });
    const cells = await Promise.all(
      (await table.locator('tbody tr').all()).map((row) => row.locator('th, td').allTextContents()),
    );
    expect(cells).toEqual([
      ['bright', '1', '0'],
      ['dim', '1', '1'],
    ]);
    const differ = page.getByRole('region', { name: 'Where they differ' });
    const rows = differ.locator('tbody tr');
    await expect(rows.count()).resolves.toBe(1);
    await expect(rows.first().textContent()).resolves.toMatch(/middle\.png\s*dim.*bright/);
    for (const size of sizes) {
      await page.setViewportSize(size);
      await screenshot(page, `compare-${size.width}x${size.height}`);
    }
    await rows.first().getByRole('link', { name: 'middle.png' }).click();
    const results = page.getByRole('region', { name: "Every model's result" }).getByTestId('model-result');
    await expect.poll(() => results.count()).toBe(2);
    for (const size of sizes) {
      await page.setViewportSize(size);
      await page.getByRole('region', { name: "Every model's result" }).scrollIntoViewIfNeeded();
      await screenshot(page, `capture-two-models-${size.width}x${size.height}`);
    }
    const texts = (await results.allTextContents()).join('\n');
    expect(texts).toMatch(/Eager model\s*test-eager, version 1\.0\.0/);
    expect(texts).toMatch(/Test model \(mean brightness\)\s*test-linear-mean, version 1\.0\.0/);
  }, 240_000);

  it('a new version imported over the same folder leaves the old results naming the old version', async () => {
    const modelFolder = path.join(folder, 'model');
    await writeModelFolder(modelFolder, tinyModelSpec, { version: '2.0.0', name: 'Renamed model' });
    await open('models');
    await page.getByLabel('Model folder').fill(modelFolder);
    await page.getByRole('button', { name: 'Import' }).click();
    const old = card('Test model (mean brightness) 1.0.0');
    await old.getByText('Not installed any more').waitFor();
    await expect(old.getByRole('note').textContent()).resolves.toBe(
      `Its folder ${modelFolder} now holds test-linear-mean 2.0.0: this version classifies new captures only until another model is chosen or MetaScope restarts; 3 results still name it.`,
    );
    await card('Renamed model 2.0.0').getByRole('button', { name: 'Use this model' }).click();
    await page.getByText('Renamed model 2.0.0 is now classifying new captures.').waitFor();
    await expect
      .poll(() => old.getByRole('note').textContent())
      .toBe(
        `Its folder ${modelFolder} now holds test-linear-mean 2.0.0, so this version can no longer classify; 3 results still name it.`,
      );
    await old.scrollIntoViewIfNeeded();
    await screenshot(page, 'models-old-version');
    await open('history');
    await page.getByText('6 results match the filter.').waitFor();
    await open('compare');
    await page.locator('a', { hasText: 'middle.png' }).click();
    const provenance = page.getByRole('region', { name: 'Provenance' });
    await expect
      .poll(() => provenance.textContent())
      .toMatch(/Model\s*(Test model \(mean brightness\)|Eager model)/);
    const results = (await page.getByTestId('model-result').allTextContents()).join('\n');
    expect(results).toMatch(/Test model \(mean brightness\)\s*test-linear-mean, version 1\.0\.0/);
    expect(results).not.toMatch(/Renamed model|2\.0\.0/);
    expect(problems).toEqual([]);
  }, 240_000);
});
