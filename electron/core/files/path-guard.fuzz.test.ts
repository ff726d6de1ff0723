import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isInside, resolveAllowedFile } from './path-guard.js';

/**
 * Security check (runs in `npm test`): the image path guard against generated hostile paths built
 * from traversal pieces (`..`, `%2e%2e`, `%252e`, backslashes), absolute paths outside, symlinks
 * out (to a file, a folder, /dev/zero) and device files. Whatever it accepts is a regular file
 * with an allowed extension whose real path is inside the root; whatever spells `..` is refused.
 */
const runs = Number(process.env.METASCOPE_FUZZ_RUNS ?? 300);
const posix = process.platform !== 'win32';
let base: string;
let root: string;
let realRoot: string;

beforeAll(() => {
  base = mkdtempSync(path.join(tmpdir(), 'metascope-guard-fuzz-'));
  root = path.join(base, 'watched');
  mkdirSync(path.join(root, 'sub'), { recursive: true });
  mkdirSync(path.join(base, 'outside'));
  writeFileSync(path.join(root, 'cell.png'), 'x');
  writeFileSync(path.join(root, 'sub', 'deep.tif'), 'x');
  writeFileSync(path.join(root, 'notes.txt'), 'x');
  writeFileSync(path.join(base, 'outside', 'secret.png'), 'x');
  symlinkSync(path.join(base, 'outside', 'secret.png'), path.join(root, 'link-out.png'));
  symlinkSync(path.join(base, 'outside'), path.join(root, 'dir-out'));
  symlinkSync(path.join(root, 'cell.png'), path.join(root, 'sub', 'link-in.png'));
  if (posix) symlinkSync('/dev/zero', path.join(root, 'zero.png'));
  realRoot = realpathSync(root);
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

const segment = fc.constantFrom(
  '..',
  '.',
  '%2e%2e',
  '%2E%2E',
  '%252e%252e',
  '.%2e',
  '%2e.',
  '..%2f..',
  '..%5c..',
  '..\\..',
  'sub',
  'cell.png',
  'deep.tif',
  'notes.txt',
  'link-out.png',
  'link-in.png',
  'dir-out',
  'secret.png',
  'outside',
  'watched',
  'zero.png',
  '',
  '%00',
  'cell.png%00.png',
);

const prefix = fc.constantFrom<() => string>(
  () => root,
  () => `${root}${path.sep}`,
  () => base,
  () => path.join(base, 'outside'),
  () => '/dev',
  () => '/etc',
  () => '',
);

const hostilePath = fc
  .tuple(prefix, fc.array(segment, { minLength: 1, maxLength: 6 }), fc.constantFrom('/', '\\', '//'))
  .map(([start, parts, sep]) => {
    const head = start();
    return head ? `${head}${sep}${parts.join(sep)}` : parts.join(sep);
  });

function spellsTraversal(candidate: string): boolean {
  let current = candidate;
  for (let i = 0; i < 4; i++) {
    if (current.split(/[\\/]+/).includes('..')) return true;
    try {
      const next = decodeURIComponent(current);
      if (next === current) break;
      current = next;
    } catch {
      break;
    }
  }
  return false;
}

describe('path guard fuzzing', () => {
  it('accepts only regular, allowed files inside the root, and never a path that spells `..`', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(hostilePath, fc.boolean(), async (candidate, withBase) => {
        const result = await resolveAllowedFile(candidate, {
          roots: [root],
          extensions: ['.png', '.tif'],
          base: withBase ? root : undefined,
        });
        if (spellsTraversal(candidate)) expect(result.ok, candidate).toBe(false);
        if (!result.ok) return;
        accepted++;
        expect(isInside(realRoot, result.path), `${candidate} → ${result.path}`).toBe(true);
        expect(lstatSync(result.path).isFile(), result.path).toBe(true);
        expect(statSync(result.path).isFile()).toBe(true);
        expect(['.png', '.tif']).toContain(path.extname(result.path));
        expect(result.path).not.toMatch(/secret|zero|notes/);
      }),
      {
        numRuns: runs * 3,
        // Random paths rarely land on a real file; these make sure acceptance is exercised every run.
        examples: [
          [path.join(root, 'cell.png'), false],
          [path.join(root, 'sub', 'deep.tif'), true],
          [path.join('sub', 'link-in.png'), true],
        ],
      },
    );
    expect(accepted, 'legitimate paths must be accepted').toBeGreaterThanOrEqual(3);
  });

  it('refuses the classic hostile requests outright', async () => {
    const hostile = [
      '../outside/secret.png',
      '%2e%2e/outside/secret.png',
      '%2e%2e%2foutside%2fsecret.png',
      path.join(base, 'outside', 'secret.png'),
      path.join(root, 'link-out.png'),
      path.join(root, 'dir-out', 'secret.png'),
      ...(posix ? ['/dev/zero', path.join(root, 'zero.png'), '/etc/passwd'] : []),
    ];
    for (const candidate of hostile) {
      for (const extensions of [
        ['.png', '.tif'],
        ['.png', '.tif', ''],
      ]) {
        const result = await resolveAllowedFile(candidate, { roots: [root], extensions, base: root });
        expect(result.ok, candidate).toBe(false);
      }
    }
  });
});
