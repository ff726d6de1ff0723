import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../electron/serve/server.js';
import {
  chromiumPath,
  collectProblems,
  dropFile,
  hasChromium,
  launch,
  screenshot,
} from './support/browser.js';
import {
  fieldCapture,
  fieldDiscs,
  sampleCaptures,
  sixteenBitStack,
  type CaptureFile,
} from './support/captures.js';
import { ensureRendererBuilt } from './support/renderer.js';
import { scopeCaptures, writeScopeTestModel, writeShippedModelWithoutScope } from './support/scoped-model.js';
import { serveWatching, type ServeProcess } from './support/serve.js';
import { syntheticHistoryHost, syntheticRow } from './support/synthetic-history.js';

const hasEngine = existsSync('electron/core/engine/index.ts');
const noChromium = hasChromium
  ? ''
  : ` (skipped: no Chromium at ${chromiumPath}; install it, e.g. apt-get install chromium)`;
const noEngine = hasEngine
  ? ''
  : ' (skipped: the engine, electron/core/engine/index.ts, is not in this checkout)';

/** Results appear after the watcher's settle interval and one inference: generous on a busy 2-core machine. */
const arrival = { timeout: 120_000 };

describe.skipIf(!hasChromium)(`browser mode${noChromium}`, () => {
  beforeAll(ensureRendererBuilt, 180_000);

  describe('with a synthetic engine', withSyntheticEngine);
  describe.skipIf(!hasEngine)(`against the real engine${noEngine}`, againstTheEngine);
  describe.skipIf(!hasEngine)(
    `out of scope, against the real engine with a model that states its scope${noEngine}`,
    outOfScope,
  );
});

function withSyntheticEngine() {
  const total = 100_000;
  let server: RunningServer;
  let host: ReturnType<typeof syntheticHistoryHost>;
  let browser: Browser;

  beforeAll(async () => {
    host = syntheticHistoryHost(total);
    server = await startServer({ host, root: 'dist/renderer' });
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('draws only the rows in view and fetches pages only where the scrolling stops', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const problems = collectProblems(page);
    // As `serve --open` does: a one-time address, exchanged for the cookie the socket then carries.
    await page.goto(`${server.signInUrl()}#/history`);
    expect(page.url()).toBe(`http://127.0.0.1:${server.port}/#/history`);
    await page.getByText('100,000 results match the filter.').waitFor();
    const rows = page.locator('.scroller [role=row]');
    await rows.first().waitFor();
    const scroller = page.locator('.scroller');
    // Fly through the whole table in 50 steps, as a dragged scrollbar would.
    for (let step = 1; step <= 50; step++) {
      await scroller.evaluate(
        (element, fraction) => (element.scrollTop = element.scrollHeight * fraction),
        step / 50,
      );
      await page.waitForTimeout(10);
    }
    await scroller.evaluate((element) => (element.scrollTop = element.scrollHeight / 2));
    await page.getByText(syntheticRow(total / 2).fileName).waitFor({ timeout: 5000 });
    expect(await rows.count()).toBeLessThan(60);
    expect(host.pagesAsked).toBeLessThan(10);
    await scroller.evaluate((element) => (element.scrollTop = element.scrollHeight));
    await page.getByText(syntheticRow(total - 1).fileName).waitFor({ timeout: 5000 });
    await screenshot(page, 'history-100k');
    expect(problems).toEqual([]);
  });

  it('says when the connection is lost and picks up again by itself', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}#/history`);
    await page.getByText('100,000 results match the filter.').waitFor();
    const { port, token } = server;
    await server.close();
    const banner = page.getByText('The connection to MetaScope was lost');
    await banner.waitFor();
    server = await startServer({ host, root: 'dist/renderer', port, token });
    await banner.waitFor({ state: 'hidden', timeout: 20_000 });
    await page.getByText('100,000 results match the filter.').waitFor();
  });
}

function againstTheEngine() {
  let folder: string;
  let watch: string;
  let serve: ServeProcess;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let captures: CaptureFile[];
  let modelJson: { name: string; classes: string[]; onnx: { sha256: string } };

  beforeAll(async () => {
    // The shipped model without its scope check: synthetic 16-bit stacks and disc fields are rightly
    // out of its scope, and these tests are about showing classes and cells (the scope tests below
    // use a model made for them).
    ({ folder, watch, serve } = await serveWatching('metascope-e2e-', writeShippedModelWithoutScope));
    modelJson = JSON.parse(await readFile(path.join(folder, 'model', 'model.json'), 'utf8'));
    captures = await sampleCaptures(6);
    browser = await launch();
    page = await (
      await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true })
    ).newPage();
    problems = collectProblems(page);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    await rm(folder, { recursive: true, force: true });
  }, 60_000);

  it('greets a first-time user with the inbox to drop captures into', async () => {
    await page.goto(serve.url);
    await expect.poll(() => page.getByText('No captures yet').isVisible()).toBe(true);
    // The inbox path shows under Watched folders and again in the empty state's instructions.
    await expect.poll(() => page.getByText(path.join(folder, 'inbox')).first().isVisible()).toBe(true);
    await expect(page.getByText(path.join(folder, 'inbox')).count()).resolves.toBeGreaterThanOrEqual(2);
    await page.getByText(/Running on/).waitFor();
    await screenshot(page, 'live-empty');
  });

  it('shows captures copied into a watched folder as they are classified', async () => {
    for (const capture of [...captures, await sixteenBitStack()])
      await writeFile(path.join(watch, capture.name), capture.bytes);
    const classified = page.locator('a.card').filter({ hasText: '%' });
    await expect.poll(() => classified.count(), arrival).toBe(captures.length + 1);
    for (const text of await classified.allTextContents()) {
      expect(
        modelJson.classes.some((name) => text.includes(name)),
        text,
      ).toBe(true);
    }
    await screenshot(page, 'live');
  }, 180_000);

  it('classifies files dropped onto the window (sent through the socket in browser mode)', async () => {
    const [extra] = await sampleCaptures(7).then((all) => all.slice(6));
    await dropFile(page, extra!.name, extra!.bytes);
    await page.getByText('1 capture added to the inbox').waitFor();
    await expect
      .poll(() => page.locator('a.card').filter({ hasText: '%' }).count(), arrival)
      .toBe(captures.length + 2);
  }, 180_000);

  it('opens a capture with its picture, probabilities and provenance, and takes a correction', async () => {
    await page.locator('a.card', { hasText: captures[0]!.name }).click();
    await page.getByRole('heading', { name: captures[0]!.name }).waitFor();
    await expect
      .poll(() =>
        page
          .locator('.viewport img')
          .evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
      )
      .toBeGreaterThan(0);
    // The copy and the built-in model it came from share the ONNX file, and so its fingerprint.
    await page.getByText(modelJson.onnx.sha256).first().waitFor();
    const predicted = (await page.locator('.verdict .class-name').textContent())?.trim();
    const other = modelJson.classes.find((name) => name !== predicted)!;
    await page.getByRole('radio', { name: other }).check({ force: true });
    await page.getByLabel('Note (optional)').fill('e2e: looked again, it is the other line');
    await page.getByRole('button', { name: /Save correction/ }).click();
    // The first review asks who is reviewing (e2e/review-queue.test.ts tests that dialog).
    await page.getByRole('dialog').getByLabel('Your name').fill('e2e');
    await page.keyboard.press('Enter');
    await page.getByText(`✎ Corrected: ${other}`).first().waitFor();
    await page.getByText('e2e: looked again').waitFor();
    await screenshot(page, 'capture');
  });

  it('shows a 16-bit stack with its contrast window and pages', async () => {
    await page.goto(`${serve.url}#/live`);
    await page.locator('a.card', { hasText: 'stack-16bit-2pages.tif' }).click();
    await page.getByText('16-bit data').waitFor();
    await page.locator('.pages select').selectOption('1');
    await expect.poll(() => page.getByLabel('Black point').inputValue()).not.toBe('0');
    await screenshot(page, 'capture-16bit');
  });

  it('finds the review in History, filters by it and exports the filtered CSV', async () => {
    await page.goto(`${serve.url}#/history`);
    await page.getByText(`${captures.length + 2} results match the filter.`).waitFor();
    await screenshot(page, 'history');
    await page.getByLabel('Reviewed').selectOption('yes');
    await page.getByText('1 result match the filter.').waitFor();
    await page.locator('[role=row]', { hasText: captures[0]!.name }).getByText('Corrected').waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    const csv = await readFile((await download.path())!, 'utf8');
    const lines = csv.trim().split(/\r?\n/);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('final_label');
    expect(lines[1]).toContain(captures[0]!.name);
    expect(lines[1]).toContain('e2e: looked again');
    await page.getByRole('button', { name: 'Thumbnails' }).click();
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByText(`${captures.length + 2} results match the filter.`).waitFor();
    await screenshot(page, 'history-thumbnails');
  });

  it('reviews with the keyboard, least confident first', async () => {
    await page.goto(`${serve.url}#/review`);
    const left = page.getByText(/\d+ to go\./);
    await left.waitFor();
    const before = Number((await left.textContent())?.match(/(\d+) to go/)?.[1]);
    expect(before).toBe(captures.length + 1);
    await screenshot(page, 'review');
    await page.keyboard.press('y');
    await page.getByText(`${before - 1} to go.`).waitFor();
  });

  it('finds the cells of a whole field, draws them, and takes a review of one cell', async () => {
    const field = await fieldCapture();
    await page.goto(`${serve.url}#/live`);
    await writeFile(path.join(watch, field.name), field.bytes);
    // The Live card says how many cells, and what share of them is the leading class.
    const card = page.locator('a.card', { hasText: field.name });
    await expect.poll(() => card.textContent(), arrival).toMatch(/\d+ cells?\s*\d+ %/);
    const found = Number((await card.textContent())?.match(/(\d+) cells?/)?.[1]);
    expect(found).toBe(fieldDiscs.length);
    await screenshot(page, 'live-field');

    await card.click();
    await page.getByRole('heading', { name: field.name }).waitFor();
    await page.getByText(`${found} cells: `).first().waitFor();
    await page
      .getByText(/Cells found by the cell finder test-bright-discs 1\.0\.0, each classified/)
      .waitFor();
    // Two cells lie within half a window of the field's edge.
    await page.getByText(/2 cells lie at the field’s edge/).waitFor();
    const shapes = page.locator('svg.overlay polygon.cell');
    await expect.poll(() => shapes.count()).toBe(found);
    await expect
      .poll(() =>
        page
          .locator('.viewport img')
          .evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
      )
      .toBeGreaterThan(0);
    await expect(page.locator('.cells tbody tr').count()).resolves.toBe(found);

    // A cell picked on the picture opens with its crop, as the model saw it, and its probabilities.
    const target = shapes.nth(4);
    const cellId = await target.getAttribute('data-cell');
    await target.hover();
    await page
      .locator('.tip')
      .getByText(/Cell \d+/)
      .waitFor();
    await target.click();
    const panel = page.locator('.cell-panel');
    await panel.getByRole('heading', { name: /^Cell \d+$/ }).waitFor();
    await expect
      .poll(() =>
        panel
          .locator('img.crop')
          .evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
      )
      .toBeGreaterThan(0);
    await expect(panel.getByRole('meter').count()).resolves.toBe(modelJson.classes.length);
    await page.setViewportSize({ width: 1280, height: 720 });
    await screenshot(page, 'capture-field');

    await panel.getByRole('button', { name: 'Not a cell' }).click();
    await panel.locator('.pill', { hasText: 'Not a cell' }).waitFor();
    // It sticks: after a reload the shape is greyed and the cell's panel says so.
    await page.reload();
    await expect.poll(() => shapes.count()).toBe(found);
    await expect.poll(() => page.locator('svg.overlay polygon.cell.not-cell').count()).toBe(1);
    expect(await page.locator('svg.overlay polygon.not-cell').getAttribute('data-cell')).toBe(cellId);
    await page.locator(`.cells tr[data-cell="${cellId}"] button`).click();
    await panel.locator('.pill', { hasText: 'Not a cell' }).waitFor();
    await page.getByText('You marked 1 of the found cells as not a cell.').waitFor();
    await page.getByRole('button', { name: 'Zoom in' }).click();
    await page.getByRole('button', { name: 'Zoom in' }).click();
    await screenshot(page, 'capture-field-reviewed');
    await page.setViewportSize({ width: 1400, height: 900 });
  }, 180_000);

  it('lists the field in History, by its analysis and its share of a class, and exports its cells', async () => {
    await page.goto(`${serve.url}#/history`);
    await page.getByText(/\d+ results match the filter\./).waitFor();
    const row = page.locator('[role=row]', { hasText: 'Plate1_B03_s1.tif' });
    await row.getByText(`${fieldDiscs.length} cells`).waitFor();
    await page.getByLabel('Each capture').selectOption('find-cells');
    await page.getByText('1 result match the filter.').waitFor();
    await page.getByLabel('Class whose share of cells to filter by').selectOption(modelJson.classes[0]!);
    await page.getByLabel('Lowest share of cells in percent').fill('0');
    await page.getByLabel('Highest share of cells in percent').fill('100');
    await page.getByText('1 result match the filter.').waitFor();
    await page.getByRole('button', { name: `% ${modelJson.classes[0]}` }).click();
    await page.getByText('1 result match the filter.').waitFor();
    await page.getByText('Share of cells per class per day').waitFor();
    await screenshot(page, 'history-fields');
    await page.getByLabel('One row per cell').check();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    const lines = (await readFile((await download.path())!, 'utf8')).trim().split(/\r?\n/);
    expect(lines).toHaveLength(fieldDiscs.length + 1);
    await page.getByRole('button', { name: 'Clear filters' }).click();
  }, 120_000);

  it('lays a folder out as its plate, and opens a well in History', async () => {
    await page.goto(`${serve.url}#/settings`);
    await page.locator('li', { hasText: watch }).getByRole('link', { name: 'Plate view' }).click();
    const well = page.getByRole('button', { name: /^B03: \d+ %/ });
    await well.waitFor();
    // The other captures of the folder name no well.
    await page.getByText(/captures? in this folder names? no well/).waitFor();
    await screenshot(page, 'plate');
    await well.click();
    await page.getByText('1 result match the filter.').waitFor();
    await page.locator('[role=row]', { hasText: 'Plate1_B03_s1.tif' }).waitFor();
    await page.getByRole('button', { name: 'Clear filters' }).click();
  }, 120_000);

  it('offers each folder the choice of how its captures are analysed', async () => {
    await page.goto(`${serve.url}#/settings`);
    const choice = page.locator('li', { hasText: watch }).getByLabel('Each capture is');
    await choice.selectOption('find-cells');
    await page.reload();
    await expect.poll(() => choice.inputValue()).toBe('find-cells');
    await choice.selectOption('auto');
  });

  it('lists the model with its fingerprint and explains a failed import in plain words', async () => {
    await page.goto(`${serve.url}#/models`);
    // The copy and the built-in model it came from share the ONNX file, and so its fingerprint.
    await page.getByText(modelJson.onnx.sha256).first().waitFor();
    await page.getByLabel('Model folder').fill(path.join(folder, 'no-such-model'));
    await page.getByRole('button', { name: 'Import' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'no-such-model' });
    await alert.waitFor();
    expect(await alert.textContent()).not.toMatch(/at \w+ \(|Error:/);
    await screenshot(page, 'models');
  });

  it('adds a watched folder from a typed path (browser mode has no folder dialog) and saves settings', async () => {
    await page.goto(`${serve.url}#/settings`);
    await page.getByText(watch).waitFor();
    const extra = path.join(folder, 'second-microscope');
    await mkdir(extra);
    await page.getByLabel('Add a folder').fill(extra);
    await page.getByRole('button', { name: 'Watch this folder' }).click();
    await page.locator('li', { hasText: extra }).waitFor();
    await page.getByLabel('Captures per batch').fill('4');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Settings saved').waitFor();
    await screenshot(page, 'settings');
  });

  it('lists a file it could not classify under Status, with the reason, and its page says why with nothing to review', async () => {
    const name = 'notes-saved-as.png';
    await page.goto(`${serve.url}#/live`);
    await writeFile(
      path.join(watch, name),
      'Not a picture: the microscope saved its notes under this name.\n',
    );
    await page
      .locator('a.card', { hasText: name })
      .getByText(/not an image/)
      .waitFor(arrival);

    await page.goto(`${serve.url}#/history`);
    await page.getByText(/results? match the filter\./).waitFor();
    await page.getByLabel('Status').selectOption('failed');
    await page.getByText('1 capture could not be classified.').waitFor();
    const row = page.locator('[role=row]', { hasText: name });
    await row.getByText(/^This file is not an image MetaScope knows/).waitFor();
    expect(await page.getByLabel('Reviewed').count()).toBe(0);
    await screenshot(page, 'history-failed');

    await row.getByRole('link', { name }).click();
    await page.getByRole('heading', { name }).waitFor();
    await page.getByText(/^Could not be classified/).waitFor();
    await page.getByText(/^This file is not an image MetaScope knows/).waitFor();
    // Nothing that waits for a picture or offers a review.
    await page.waitForTimeout(500);
    expect(await page.getByText(/Loading picture/).count()).toBe(0);
    expect(await page.getByRole('region', { name: 'Review' }).count()).toBe(0);
    expect(await page.getByText(/^Classified/).count()).toBe(0);
    await screenshot(page, 'capture-failed');
  }, 180_000);

  it('produced no console errors, script errors or CSP violations', () => {
    // The failed model import above answers with a notice, not a console error.
    expect(problems).toEqual([]);
  });

  it('stops cleanly on SIGTERM', async () => {
    await browser.close();
    expect(await serve.stop()).toBe(0);
    expect(serve.log()).toContain('Stopping MetaScope');
  }, 60_000);
}

/**
 * A model whose manifest states its scope (the shipped one may not yet): a capture unlike its
 * training images is shown greyed with the engine's reason on every screen, never as a class.
 */
function outOfScope() {
  let folder: string;
  let watch: string;
  let serve: ServeProcess;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let files: Awaited<ReturnType<typeof scopeCaptures>>;
  let outHref: string;

  beforeAll(async () => {
    ({ folder, watch, serve } = await serveWatching('metascope-e2e-scope-', writeScopeTestModel));
    files = await scopeCaptures();
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    problems = collectProblems(page);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    await rm(folder, { recursive: true, force: true });
  }, 60_000);

  it('greys an out-of-scope capture on Live with its reason, and shows an unsure one as uncertain', async () => {
    await page.goto(serve.url);
    await page.getByText(/Running on/).waitFor();
    for (const file of [files.inScope, files.uncertain, files.outOfScope])
      await writeFile(path.join(watch, file.name), file.bytes);

    const out = page.locator('a.card', { hasText: files.outOfScope.name });
    await expect.poll(() => out.getAttribute('class'), arrival).toContain('out-of-scope');
    await expect.poll(() => out.textContent()).toContain('Out of scope');
    expect(await out.textContent()).toMatch(/The cells look brighter than the background/);
    // Never coloured as a class: no class name with its swatch, no probability bar.
    await expect(out.locator('.class-name, .swatch, [role=meter]').count()).resolves.toBe(0);
    // Runs in the page; the tests compile without the DOM's types.
    const filterOf = (el: unknown) =>
      (globalThis as unknown as { getComputedStyle(e: unknown): { filter: string } }).getComputedStyle(el)
        .filter;
    expect(await out.locator('.thumb').evaluate(filterOf)).toContain('grayscale');
    outHref = (await out.getAttribute('href'))!;

    const sure = page.locator('a.card', { hasText: files.inScope.name });
    await expect.poll(() => sure.textContent(), arrival).toMatch(/bright\s*73 %/);
    const unsure = page.locator('a.card', { hasText: files.uncertain.name });
    await expect.poll(() => unsure.textContent(), arrival).toMatch(/Uncertain \(bright\)\s*62 %/);
    await expect(unsure.locator('.class-name').count()).resolves.toBe(0);
    await page.getByText('Of these, 1 uncertain, 1 out of scope').waitFor();
    await screenshot(page, 'live-scope');
  }, 180_000);

  it('says on the Capture screen why MetaScope cannot judge it, and which check ran', async () => {
    await page.locator('a.card', { hasText: files.outOfScope.name }).click();
    await page.getByRole('heading', { name: files.outOfScope.name }).waitFor();
    const callout = page.getByRole('status').filter({ hasText: 'MetaScope cannot judge this capture:' });
    await callout.getByText(/The cells look brighter than the background/).waitFor();
    await callout
      .getByText(/^Checked by: distance to the training images \(score 4\.5, limit 3\.0\)\.$/)
      .waitFor();
    await expect(page.locator('.verdict .class-name').count()).resolves.toBe(0);
    await page.locator('.verdict').getByText('Out of scope').waitFor();
    await screenshot(page, 'capture-out-of-scope');

    await page.goto(`${serve.url}#/live`);
    await page.locator('a.card', { hasText: files.uncertain.name }).click();
    await page.getByRole('heading', { name: files.uncertain.name }).waitFor();
    await page.locator('.verdict').getByText('Uncertain').waitFor();
    await page.getByText('Given a class only when at least 70 % sure').waitFor();
    await page
      .getByText(
        /Within the model’s scope\. Checked by: distance to the training images \(score 1\.6, limit 3\.0\)/,
      )
      .waitFor();
    await screenshot(page, 'capture-uncertain');
  });

  it('lists it in History greyed with its reason, and only under Scope: Out of scope', async () => {
    await page.goto(`${serve.url}#/history`);
    await page.getByText('3 results match the filter.').waitFor();
    const outRow = page.locator('[role=row]', { hasText: files.outOfScope.name });
    await expect.poll(() => outRow.getAttribute('class')).toContain('out-of-scope');
    await outRow.getByText(/The cells look brighter than the background/).waitFor();
    await expect(outRow.locator('.class-name, [role=meter]').count()).resolves.toBe(0);
    await page.getByText('Out-of-scope results are left out of these charts').waitFor();

    const scope = page.getByRole('combobox', { name: /^Scope/ });
    await scope.selectOption('in');
    await page.getByText('2 results match the filter.').waitFor();
    await expect(outRow.count()).resolves.toBe(0);
    await scope.selectOption('out');
    await page.getByText('1 result match the filter.').waitFor();
    await outRow.waitFor();
    await expect(page.locator('[role=row]', { hasText: files.inScope.name }).count()).resolves.toBe(0);
    await page.getByText('Charting only results out of the model’s scope').waitFor();
    await screenshot(page, 'history-scope');
    await page.getByRole('button', { name: 'Thumbnails' }).click();
    const tile = page.locator('a.out-of-scope', { hasText: 'Out of scope' });
    await tile.waitFor();
    await page.getByRole('button', { name: 'Table' }).click();
    await scope.selectOption('all');
    await page.getByText('3 results match the filter.').waitFor();
  });

  it('puts it first in the review queue, marked, and takes “Not a cell / other” from the keyboard', async () => {
    await page.goto(`${serve.url}#/review`);
    await page.getByText('3 to go.').waitFor();
    const first = page.locator('.queue li').first();
    await first.getByText(files.outOfScope.name).waitFor();
    await first.getByText('Out of scope').waitFor();
    await page.getByRole('status').filter({ hasText: 'MetaScope cannot judge this capture:' }).waitFor();
    await page.getByLabel('Keyboard shortcuts').getByText('Not a cell / other (saves)').waitFor();
    await screenshot(page, 'review-scope');
    await page.keyboard.press('0');
    await page.getByRole('dialog').getByLabel('Your name').fill('e2e');
    await page.keyboard.press('Enter');
    await page.getByText('2 to go.').waitFor();
    await expect(page.locator('.queue li').first().textContent()).resolves.not.toContain(
      files.outOfScope.name,
    );

    await page.goto(`${serve.url}${outHref}`);
    await page.getByRole('heading', { name: files.outOfScope.name }).waitFor();
    await page.locator('.verdict .pill', { hasText: 'Not a cell / other' }).waitFor();
    await page.getByRole('list').getByText('Not a cell / other', { exact: true }).waitFor();
  });

  it('produced no console errors, script errors or CSP violations', () => {
    expect(problems).toEqual([]);
  });

  it('stops cleanly on SIGTERM', async () => {
    await browser.close();
    expect(await serve.stop()).toBe(0);
  }, 60_000);
}
