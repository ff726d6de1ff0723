import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode, greyImage } from '../electron/core/capture/testing/images.js';
import { writeModelFolder } from '../electron/core/model/testing/model-folder.js';
import { chromiumPath, collectProblems, hasChromium, launch, screenshot } from './support/browser.js';
import { fieldCapture } from './support/captures.js';
import { ensureRendererBuilt } from './support/renderer.js';
import { serveWatching, type ServeProcess } from './support/serve.js';

/**
 * Review that forgives, in browser mode against the real engine: undo, skip, "not a cell / other",
 * the reviewer's name asked once, and the queue narrowed to a folder or a class.
 */

const hasEngine = existsSync('electron/core/engine/index.ts');
const skipped = hasChromium ? '' : ` (skipped: no Chromium at ${chromiumPath})`;
const arrival = { timeout: 120_000 };

/**
 * Flat 16-pixel greys, each one cell for the test model (its window is 8 pixels). p(bright) rises
 * with brightness, so each class and the queue's order (least confident first) are known:
 * 120 → dim 53 %, 90 → dim 64 %, 200 → bright 76 %, 30 → dim 82 %, 240 → bright 86 %.
 */
const microscope = [
  { name: 'well-120.png', value: 120 },
  { name: 'well-200.png', value: 200 },
  { name: 'well-30.png', value: 30 },
];
const inbox = [
  { name: 'inbox-90.png', value: 90 },
  { name: 'inbox-240.png', value: 240 },
];
const queueOrder = ['well-120.png', 'inbox-90.png', 'well-200.png', 'well-30.png', 'inbox-240.png'];

const grey = (value: number) =>
  encode(
    greyImage(16, 16, 8, () => value),
    'png',
  );
const sha256Of = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe.skipIf(!hasChromium || !hasEngine)(`the review queue, against the real engine${skipped}`, () => {
  let folder: string;
  let watch: string;
  let serve: ServeProcess;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  const shas = new Map<string, string>();

  const queue = () => page.locator('.queue li');
  const toGo = (n: number) => page.getByText(`${n} to go.`).waitFor();
  const current = () => page.locator('.queue button[aria-current=true] .name').textContent();

  beforeAll(async () => {
    ensureRendererBuilt();
    ({ folder, watch, serve } = await serveWatching(
      'metascope-review-',
      async (model) => void (await writeModelFolder(model)),
    ));
    for (const [into, captures] of [
      [watch, microscope],
      [path.join(folder, 'inbox'), inbox],
    ] as const) {
      for (const { name, value } of captures) {
        const bytes = await grey(value);
        shas.set(name, sha256Of(bytes));
        await writeFile(path.join(into, name), bytes);
      }
    }
    browser = await launch();
    page = await (
      await browser.newContext({ viewport: { width: 1280, height: 720 }, acceptDownloads: true })
    ).newPage();
    page.setDefaultTimeout(20_000);
    problems = collectProblems(page);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    await rm(folder, { recursive: true, force: true });
  }, 60_000);

  // The first test waits for every capture to be classified: the arrival budget, not the default 30 s.
  it('asks the reviewer’s name once, at the first decision, and saves it with the review', async () => {
    await page.goto(`${serve.url}#/review`);
    await expect.poll(() => queue().count(), arrival).toBe(queueOrder.length);
    await expect(queue().allTextContents()).resolves.toEqual(
      queueOrder.map((name) => expect.stringContaining(name)),
    );
    expect(await current()).toBe('well-120.png');
    // Zoom and contrast inside the queue, as on the Capture page.
    await expect
      .poll(() =>
        page
          .locator('.viewport img')
          .evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
      )
      .toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Zoom in' }).click();
    await page.getByLabel('Black point').waitFor();

    await page.keyboard.press('y');
    const dialog = page.getByRole('dialog', { name: 'Who is reviewing?' });
    await dialog.waitFor();
    await dialog.getByLabel('Your name').fill('Ana Ruiz');
    await screenshot(page, 'review-name-dialog');
    await page.keyboard.press('Enter');
    await toGo(4);
    await expect(dialog.isVisible()).resolves.toBe(false);
    const decided = page.getByRole('region', { name: 'Decided this session' });
    await decided.getByText('well-120.png').waitFor();
    await decided.getByText('dim', { exact: true }).waitFor();
    expect(await current()).toBe('inbox-90.png');
    await screenshot(page, 'review-queue-1280x720');
    await page.setViewportSize({ width: 1440, height: 900 });
    await screenshot(page, 'review-queue-1440x900');
    await page.setViewportSize({ width: 1280, height: 720 });
  }, 180_000);

  it('undoes the last decision with Ctrl+Z: the capture comes back where it was, with the model’s label', async () => {
    await page.keyboard.press('Control+z');
    await toGo(5);
    await expect(queue().first().textContent()).resolves.toContain('well-120.png');
    expect(await current()).toBe('well-120.png');
    const decided = page.getByRole('region', { name: 'Decided this session' });
    await decided.getByText('undone').waitFor();

    await page.goto(`${serve.url}#/capture/${shas.get('well-120.png')}`);
    const reviews = page.getByRole('region', { name: 'Review', exact: true });
    await reviews.getByText(/undone at /).waitFor();
    await reviews.getByText(/Ana Ruiz, /).waitFor();
    const struck = await reviews
      .locator('li.withdrawn .label')
      .evaluate(
        (el) =>
          (
            globalThis as unknown as { getComputedStyle(e: unknown): { textDecorationLine: string } }
          ).getComputedStyle(el).textDecorationLine,
      );
    expect(struck).toBe('line-through');
    // Nobody's decision stands: the page shows the model's answer, not a confirmation.
    await page.locator('.verdict').getByText('Not reviewed').waitFor();
  });

  it('skips without deciding: the capture waits at the end of the session’s queue, and nothing is written', async () => {
    await page.goto(`${serve.url}#/review`);
    await toGo(5);
    expect(await current()).toBe('well-120.png');
    await page.keyboard.press('s');
    await page.getByText('1 skipped: it waits at the end of this session’s queue.').waitFor();
    await expect(queue().last().textContent()).resolves.toContain('well-120.png');
    expect(await current()).toBe('inbox-90.png');
    await toGo(5);
  });

  it('takes “Not a cell / other” for a whole capture with one key; it becomes its label', async () => {
    await page.keyboard.press('0');
    await toGo(4);
    await expect(page.getByRole('dialog').isVisible()).resolves.toBe(false);
    const decided = page.getByRole('region', { name: 'Decided this session' });
    await decided.getByText('Not a cell / other').waitFor();

    await page.goto(`${serve.url}#/capture/${shas.get('inbox-90.png')}`);
    await page.locator('.verdict .pill', { hasText: 'Not a cell / other' }).waitFor();
    await page
      .getByRole('region', { name: 'Review', exact: true })
      .getByText(/Ana Ruiz, /)
      .waitFor();
  });

  it(
    'narrows the queue to one watched folder, and to one class of the model',
    { timeout: 120_000 },
    async () => {
      await page.goto(`${serve.url}#/review`);
      await toGo(4);
      const folderChoice = page.getByRole('combobox', { name: 'Folder', exact: true });
      await folderChoice.selectOption({ label: path.join(folder, 'inbox') });
      await toGo(1);
      await expect(queue().allTextContents()).resolves.toEqual([expect.stringContaining('inbox-240.png')]);
      await folderChoice.selectOption({ label: watch });
      await toGo(3);
      await page.getByRole('combobox', { name: 'The model said' }).selectOption('bright');
      await toGo(1);
      await expect(queue().allTextContents()).resolves.toEqual([expect.stringContaining('well-200.png')]);
      // Deciding the last one here leaves an empty, narrowed queue that still offers the undo.
      await page.getByRole('heading', { name: 'Review' }).click();
      await page.keyboard.press('y');
      await page.getByText('Nothing left to review here').waitFor();
      await page.getByRole('button', { name: /Undo the last decision/ }).click();
      await toGo(1);
      await page.getByRole('combobox', { name: 'The model said' }).selectOption('');
      await folderChoice.selectOption({ label: 'All folders' });
      await toGo(4);
    },
  );

  it('on the Capture page: the button says the review is saved, and the list offers its undo', async () => {
    const sha = shas.get('well-30.png')!;
    await page.goto(`${serve.url}#/capture/${sha}`);
    const review = page.getByRole('region', { name: 'Review', exact: true });
    await review.getByRole('button', { name: 'Confirm “dim”' }).click();
    await review.getByRole('button', { name: 'Saved ✓' }).waitFor();
    await review.getByText(/Ana Ruiz, /).waitFor();
    await screenshot(page, 'review-capture-1280x720');
    await page.setViewportSize({ width: 1440, height: 900 });
    await screenshot(page, 'review-capture-1440x900');
    await page.setViewportSize({ width: 1280, height: 720 });
    // A change of answer is no longer saved.
    await review.getByRole('radio', { name: 'bright' }).check({ force: true });
    await review.getByRole('button', { name: /Save correction: “bright”/ }).waitFor();
    await review.getByRole('button', { name: 'Undo' }).click();
    await review.getByText(/undone at /).waitFor();
    await expect(review.getByRole('button', { name: 'Undo' }).count()).resolves.toBe(0);
    await screenshot(page, 'review-capture-undone');
  });

  it('keeps the name: changeable in Settings, never asked again, exported in the CSV', async () => {
    await page.goto(`${serve.url}#/settings`);
    const name = page.getByLabel('Your name, saved with each review and undo');
    await expect.poll(() => name.inputValue()).toBe('Ana Ruiz');
    await name.scrollIntoViewIfNeeded();
    await screenshot(page, 'review-settings');
    await name.fill('A. Ruiz');
    await page.getByRole('button', { name: 'Save name' }).click();
    await page.getByRole('button', { name: 'Saved ✓' }).waitFor();
    // A new session (a reload) keeps the new name and decides without asking again.
    await page.goto(`${serve.url}#/review`);
    await page.reload();
    await toGo(4);
    await page.keyboard.press('y');
    await toGo(3);
    await expect(page.getByRole('dialog').isVisible()).resolves.toBe(false);

    await page.goto(`${serve.url}#/history`);
    // At 720 pixels high the filters start folded away.
    await page.getByRole('button', { name: 'Filters', exact: true }).click();
    await page.getByLabel('Reviewed').selectOption('yes');
    await page.getByText('2 results match the filter.').waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    const [header, ...lines] = (await readFile((await download.path())!, 'utf8')).trim().split(/\r?\n/);
    expect(header).toContain(',final_label,model_class,');
    expect(header).toContain(',reviewer,review_note,reviewed_at,');
    expect(lines).toHaveLength(2);
    const line = (name: string) => lines.find((l) => l.startsWith(`${name},`))!;
    expect(line('inbox-90.png')).toContain(',Not a cell / other,');
    expect(line('inbox-90.png')).toContain(',Ana Ruiz,,');
    expect(line('well-120.png')).toContain(',dim,');
    expect(line('well-120.png')).toContain(',A. Ruiz,,');
  });

  it('takes a cell’s review back in its panel, naming who decided', async () => {
    const field = await fieldCapture();
    await page.goto(`${serve.url}#/live`);
    await writeFile(path.join(watch, field.name), field.bytes);
    const card = page.locator('a.card', { hasText: field.name });
    await expect.poll(() => card.textContent(), arrival).toMatch(/\d+ cells?/);
    await card.click();
    const shapes = page.locator('svg.overlay polygon.cell');
    await expect.poll(() => shapes.count()).toBeGreaterThan(0);
    await shapes.first().click();
    const panel = page.locator('.cell-panel');
    await panel.getByRole('button', { name: 'Not a cell' }).click();
    await panel.locator('.pill', { hasText: 'Not a cell' }).waitFor();
    await panel.getByText(/A\. Ruiz, /).waitFor();
    await screenshot(page, 'review-cell');
    await panel.getByRole('button', { name: 'Undo' }).click();
    await panel.getByText('Not reviewed. What is it?').waitFor();
    await expect(page.locator('svg.overlay polygon.cell.not-cell').count()).resolves.toBe(0);
  }, 180_000);

  it('takes in a result that arrives while the queue is open, without moving off the capture shown', async () => {
    await page.goto(`${serve.url}#/review`);
    await expect.poll(() => queue().count(), arrival).toBeGreaterThan(0);
    const before = await queue().count();
    const shown = await current();
    await writeFile(path.join(watch, 'late-150.png'), await grey(150));
    await expect.poll(() => queue().count(), arrival).toBe(before + 1);
    await queue().filter({ hasText: 'late-150.png' }).waitFor();
    expect(await current()).toBe(shown);
  }, 180_000);

  it('produced no console errors, script errors or CSP violations', () => {
    expect(problems).toEqual([]);
  });
});
