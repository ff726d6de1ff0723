import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { logFile, logFolder, openLog, whereTheLogIs } from './log-file.js';

let data: string;
beforeEach(() => {
  data = mkdtempSync(path.join(tmpdir(), 'metascope-log-'));
});
afterEach(() => rmSync(data, { recursive: true, force: true }));

const quiet = { stderr: false, uncaughtErrors: false } as const;
const read = (file: string) => readFileSync(file, 'utf8');

/** Runs `body` in its own Node process, as the engine's utility process would run it. */
function runProcess(body: string, env: NodeJS.ProcessEnv = {}) {
  const module = JSON.stringify(pathToFileURL(path.join(import.meta.dirname, 'log-file.ts')).href);
  const script = `const { openLog } = await import(${module});\n${body}`;
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, METASCOPE_DATA: data, ...env },
  });
}

describe('the log file', () => {
  it('lives in the logs folder of the data folder (METASCOPE_DATA) and begins with the start of the process', () => {
    const saved = process.env.METASCOPE_DATA;
    process.env.METASCOPE_DATA = data;
    try {
      expect(logFolder()).toBe(path.join(data, 'logs'));
      expect(logFile('main')).toBe(path.join(data, 'logs', 'main.log'));
    } finally {
      if (saved === undefined) delete process.env.METASCOPE_DATA;
      else process.env.METASCOPE_DATA = saved;
    }

    const log = openLog('main', { folder: logFolder(data), ...quiet });
    log('Ignored connect from an untrusted sender (https://example.org).');
    const lines = read(path.join(data, 'logs', 'main.log'))
      .trim()
      .split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} [+-]\d\d:\d\d\] \[info\] +MetaScope \S+: the main process started/,
    );
    expect(lines[1]).toMatch(
      /\] \[info\] +Ignored connect from an untrusted sender \(https:\/\/example\.org\)\.$/,
    );
  });

  it('makes its folder when it is opened', () => {
    const folder = path.join(data, 'not yet there', 'logs');
    openLog('engine', { folder, ...quiet });
    expect(readdirSync(folder)).toEqual(['engine.log']);
  });

  it('is set aside when it grows past its size, keeping a few older files and deleting the oldest', () => {
    const folder = logFolder(data);
    const log = openLog('main', { folder, maxBytes: 2000, keep: 2, ...quiet });
    const written = Array.from(
      { length: 200 },
      (_, i) => `capture ${String(i).padStart(3, '0')} was classified`,
    );
    for (const message of written) log(message);

    expect(readdirSync(folder).sort()).toEqual(['main.1.log', 'main.2.log', 'main.log']);
    const longestLine = Math.max(
      ...read(path.join(folder, 'main.log'))
        .split('\n')
        .map((l) => l.length + 1),
    );
    for (const name of readdirSync(folder))
      expect(statSync(path.join(folder, name)).size).toBeLessThanOrEqual(2000 + longestLine);

    // Oldest first, the three files hold the newest messages without a gap; the rest are gone.
    const kept = ['main.2.log', 'main.1.log', 'main.log']
      .flatMap((name) => read(path.join(folder, name)).trim().split('\n'))
      .map((line) => line.replace(/^.*\[info\] +/, ''));
    expect(kept.length).toBeGreaterThan(40);
    expect(kept.length).toBeLessThan(written.length);
    expect(kept).toEqual(written.slice(-kept.length));
  });

  it('is emptied, not left to grow, when the system refuses to set it aside', () => {
    const folder = logFolder(data);
    // A folder where the set-aside file should go makes the rename fail, as a file held open does on Windows.
    mkdirSync(path.join(folder, 'main.1.log', 'in the way'), { recursive: true });
    const log = openLog('main', { folder, maxBytes: 500, keep: 1, ...quiet });
    for (let i = 0; i < 100; i++) log(`capture ${i} was classified`);
    expect(statSync(path.join(folder, 'main.log')).size).toBeLessThanOrEqual(600);
    expect(read(path.join(folder, 'main.log'))).toContain('capture 99 was classified');
  });

  it('is one per process: the engine process writes its own file beside the main one, and stderr too', () => {
    const main = openLog('main', { folder: logFolder(data), ...quiet });
    main('The engine is starting.');
    const run = runProcess(`
      const log = openLog('engine');
      for (let i = 0; i < 50; i++) log('engine message ' + i);`);
    main('The engine is running.');

    expect(run.status).toBe(0);
    const engine = read(path.join(data, 'logs', 'engine.log'));
    expect(engine).toMatch(/the engine process started/);
    expect(engine).toContain('engine message 49');
    expect(engine).not.toContain('The engine is');
    const mainFile = read(path.join(data, 'logs', 'main.log'));
    expect(mainFile).toContain('The engine is running.');
    expect(mainFile).not.toContain('engine message');
    expect(run.stderr).toContain('[engine] engine message 0\n');
    expect(run.stderr).toContain('[engine] engine message 49\n');
    expect(run.stderr).not.toContain('process started');
  });

  it('records an error nothing caught, and the process still stops as it would without the log', () => {
    const run = runProcess(`
      openLog('engine')('Opening the model.');
      setTimeout(() => { throw new Error('The model file is damaged.'); });`);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('The model file is damaged.');
    expect(run.stderr).not.toContain('Uncaught error');
    const engine = read(path.join(data, 'logs', 'engine.log'));
    expect(engine).toMatch(/\[error\] +Uncaught error: Error: The model file is damaged\.\n\s+at /);
  });

  it('never stops MetaScope when it cannot be written, and says so on stderr', () => {
    writeFileSync(path.join(data, 'logs'), 'a file where the logs folder should be');
    const run = runProcess(`openLog('engine')('Opening the model.'); console.log('still running');`);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('still running\n');
    expect(run.stderr).toContain('[engine] Opening the model.');
    expect(run.stderr).toMatch(/Can't write to .*engine\.log/);
  });

  it('is written nowhere else: nothing appears in the usual electron-log places', () => {
    const home = path.join(data, 'home');
    const run = runProcess(`openLog('engine')('Hello.');`, {
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, '.config'),
    });
    expect(run.status).toBe(0);
    expect(existsSync(home)).toBe(false);
  });
});

describe('whereTheLogIs', () => {
  it('names the menu item and the folder, so a person can find the log without a terminal', () => {
    const sentence = whereTheLogIs(path.join(data, 'logs'));
    expect(sentence).toContain('Help > Show Log File');
    expect(sentence).toContain(path.join(data, 'logs'));
  });
});
