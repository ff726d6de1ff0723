import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { chromium, type Browser, type Page } from 'playwright-core';

export const chromiumPath = '/usr/bin/chromium';
export const hasChromium = existsSync(chromiumPath);
export const screensFolder = 'test-output/screens';

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}

/** Every console error, uncaught exception and CSP violation the page produces. */
export function collectProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return problems;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(screensFolder, { recursive: true });
  // Let charts and lazy thumbnails settle so the picture shows what a person would see.
  await page.waitForLoadState('networkidle').catch(() => undefined);
  await page.screenshot({ path: `${screensFolder}/${name}.png`, fullPage: false });
}

/** Drops a file onto the window, as dragging it from the desktop would. */
export async function dropFile(page: Page, name: string, bytes: Buffer): Promise<void> {
  // Runs in the page; written as text because the tests compile without the DOM's types.
  await page.evaluate(`(() => {
    const bytes = Uint8Array.from(atob(${JSON.stringify(bytes.toString('base64'))}), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], ${JSON.stringify(name)}));
    for (const type of ['dragenter', 'dragover', 'drop']) {
      window.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, cancelable: true }));
    }
  })()`);
}
