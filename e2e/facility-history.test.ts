import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDetectorFolder } from '../electron/core/cells/testing/detector-folder.js';
import {
  noPostgresReason,
  postgresBin,
  startTestPostgres,
  type TestPostgres,
} from '../electron/core/facility/testing/postgres.js';
import { postgresBackEnd, type BackEnd } from '../electron/core/history-store/testing/back-ends.js';
import { seed } from '../electron/core/history-store/testing/shared-suite.js';
import { writeModelFolder } from '../electron/core/model/testing/model-folder.js';
import { chromiumPath, collectProblems, hasChromium, launch, screenshot } from './support/browser.js';
import { ensureRendererBuilt } from './support/renderer.js';
import { startServe, type ServeProcess } from './support/serve.js';

/**
 * `metascope serve --facility`: the browser shows a facility's shared history (every workstation's
 * results, in PostgreSQL), narrows it by workstation, and stores each review under the reviewer's name.
 */

const hasEngine = existsSync('electron/core/engine/index.ts');
const bin = postgresBin();
const skipped = !hasChromium
  ? ` (skipped: no Chromium at ${chromiumPath})`
  : !bin
    ? ` (skipped: ${noPostgresReason})`
    : '';
const reviewerName = 'Ada Lovelace';

describe.skipIf(!hasChromium || !hasEngine || !bin)(`a facility's history in the browser${skipped}`, () => {
  let server: TestPostgres;
  let facility: BackEnd & { address: string };
  let folder: string;
  let serve: ServeProcess;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    ensureRendererBuilt();
    server = await startTestPostgres();
    facility = await postgresBackEnd(server);
    // Ten results from bench-1 and bench-2 (Nikon and Zeiss), none of them taken at this workstation.
    await facility.add(seed);
    folder = await mkdtemp(path.join(tmpdir(), 'metascope-e2e-facility-'));
    await writeModelFolder(path.join(folder, 'model'));
    await writeDetectorFolder(path.join(folder, 'detector'));
    await mkdir(path.join(folder, 'data'));
    serve = await startServe(
      [
        ...['--db', path.join(folder, 'data', 'metascope.db'), '--model', path.join(folder, 'model')],
        ...['--detector', path.join(folder, 'detector'), '--facility', facility.address],
      ],
      { METASCOPE_DATA: path.join(folder, 'data'), METASCOPE_INBOX: path.join(folder, 'inbox') },
    );
    browser = await launch();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 720 } })).newPage();
    problems = collectProblems(page);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    await facility?.close();
    await server?.stop();
    if (folder) await rm(folder, { recursive: true, force: true });
  }, 60_000);

  const results = (n: number) => page.getByText(`${n} result${n === 1 ? '' : 's'} match the filter.`);

  it('lists every workstation’s results with where each was seen, and narrows them to one workstation', async () => {
    await page.goto(`${serve.url}#/history`);
    await results(10).waitFor();
    await page.getByTitle(`Facility history · ${facility.address}`).waitFor();
    await page.getByRole('columnheader', { name: 'Workstation' }).waitFor();
    await page.locator('[role=row]', { hasText: 'cell_09.tif' }).getByText('bench-2 · Nikon').waitFor();

    const filters = page.getByRole('button', { name: 'Filters' });
    if ((await filters.getAttribute('aria-expanded')) !== 'true') await filters.click();
    const region = page.getByRole('region', { name: 'Filters' });
    // A facility's history has no failures or watched folders of its own to filter by.
    expect(await region.getByLabel('Folder').count()).toBe(0);
    expect(await region.getByLabel('Status').count()).toBe(0);
    await expect
      .poll(() => region.getByLabel('Workstation').locator('option').allTextContents())
      .toEqual(['All', 'bench-1', 'bench-2']);
    await region.getByLabel('Workstation').selectOption('bench-2');
    // Captures 7 to 10: bench-2's failed file is that workstation's own, not the facility's.
    await results(4).waitFor();
    await page.getByText('1 filter active').waitFor();
    expect(await page.locator('[role=row]', { hasText: 'bench-1' }).count()).toBe(0);
    await screenshot(page, 'facility-history-1280x720');

    await page.getByRole('button', { name: 'Clear filters' }).click();
    await results(10).waitFor();
    expect(problems).toEqual([]);
  }, 120_000);

  it('takes a review in the reviewer’s name, with a calm word where the picture stays elsewhere', async () => {
    await page.goto(`${serve.url}#/review`);
    // Out of the model's scope, so first in the queue: cell_04.tif, seen at bench-1.
    const picture = page.getByRole('region', { name: 'Capture' });
    await picture.getByText('cell_04.tif').waitFor();
    await picture.getByText(/Its picture stays at the workstation that took it \(bench-1\)/).waitFor();
    await screenshot(page, 'facility-review-1280x720');
    await page
      .getByRole('region', { name: 'Decision' })
      .getByRole('button', { name: /healthy/ })
      .click();
    await page.getByRole('dialog').getByLabel('Your name').fill(reviewerName);
    await page.keyboard.press('Enter');
    await page.getByRole('region', { name: 'Capture' }).getByText('cell_01.tif').waitFor();

    const client = new pg.Client({ connectionString: facility.address });
    await client.connect();
    try {
      const stored = await client.query(
        'SELECT c.sha256, v.label, v.reviewer FROM metascope.reviews v JOIN metascope.captures c ON c.id = v.capture_id',
      );
      expect(stored.rows).toEqual([{ sha256: seed[3]!.sha256, label: 'healthy', reviewer: reviewerName }]);
    } finally {
      await client.end();
    }
    expect(problems).toEqual([]);
  }, 120_000);

  it('says in Settings which history is shown, and why an address cannot be used', async () => {
    await page.goto(`${serve.url}#/settings`);
    const section = page.getByRole('region', { name: 'Shared facility history' });
    await section.getByText(`Shown now: the facility’s history at ${facility.address}.`).waitFor();
    await section.getByLabel('Address').fill('postgres://someone:secret@localhost/lab');
    await section.getByRole('button', { name: 'Use facility history' }).click();
    await section
      .getByRole('alert')
      .getByText(/must not contain a password/)
      .waitFor();
    await section.getByRole('status').scrollIntoViewIfNeeded();
    await screenshot(page, 'facility-settings-1280x720');
    // Still the facility's history: a refused address changes nothing.
    await section.getByText(`Shown now: the facility’s history at ${facility.address}.`).waitFor();
    expect(problems).toEqual([]);
  }, 60_000);
});
