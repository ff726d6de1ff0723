import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/**
 * The layers of DESIGN.md as the lint rule enforces them: each case lints one import line as if
 * it were written in a file of that folder, with the project's own eslint.config.js.
 */
const eslint = new ESLint();

async function refused(file: string, specifier: string): Promise<boolean> {
  const [result] = await eslint.lintText(`import * as m from '${specifier}';\nexport default m;\n`, {
    filePath: file,
  });
  return (result?.messages ?? []).some((m) => m.ruleId === 'no-restricted-imports');
}

describe('import layers', () => {
  it.each([
    ['electron/engine-process/host.ts', '../main/csp.js'],
    ['electron/engine-process/host.ts', '../../renderer/src/lib/engine.js'],
    ['electron/serve/server.ts', '../main/renderer-files.js'],
    ['electron/cli/serve.ts', '../preload/sandboxed/index.js'],
    ['electron/core/engine/index.ts', 'electron'],
    ['electron/core/engine/index.ts', '../../main/csp.js'],
    ['electron/contract/images.ts', '../core/files/path-guard.js'],
  ])('%s may not import %s', async (file, specifier) => {
    expect(await refused(file, specifier)).toBe(true);
  });

  it.each([
    ['electron/engine-process/host.ts', '../core/files/capture-pictures.js'],
    ['electron/serve/engine-worker.ts', '../core/files/capture-pictures.js'],
    ['electron/main/renderer-files.ts', '../core/files/path-guard.js'],
    ['electron/main/protocols.ts', 'electron'],
  ])('%s may import %s', async (file, specifier) => {
    expect(await refused(file, specifier)).toBe(false);
  });
});
