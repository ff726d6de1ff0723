import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';

it('says what failed where nobody was waiting, and the process goes on', () => {
  const program = [
    "import { surviveUnhandledRejections } from './electron/cli/unhandled-rejections.ts';",
    'surviveUnhandledRejections();',
    "Promise.reject(new Error('the database folder went away'));",
    "setTimeout(() => console.log('still serving'), 100);",
  ].join('\n');
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', program], {
    encoding: 'utf8',
  });
  expect(run.stderr).toContain(
    'metascope: an error was caught and MetaScope keeps running: the database folder went away\n',
  );
  expect(run.stdout).toBe('still serving\n');
  expect(run.status).toBe(0);
}, 30_000);
