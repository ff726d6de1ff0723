import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeDetectorFolder } from '../../electron/core/cells/testing/detector-folder.js';

export interface ServeProcess {
  url: string;
  /** Everything the command wrote to stderr, for failure messages. */
  log(): string;
  /** SIGTERM, as Ctrl-C would; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * A real `metascope serve`, run from source with tsx (the worker thread included), so the test
 * does not depend on a full compile of every module.
 */
export async function startServe(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 120_000,
): Promise<ServeProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', 'electron/cli/index.ts', 'serve', ...args],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(
      () => reject(new Error(`metascope serve printed no address in ${timeoutMs} ms:\n${stderr}`)),
      timeoutMs,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /MetaScope is running at (\S+)/.exec(stdout);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`metascope serve exited (${code}) before printing its address:\n${stderr}`));
    });
  });
  return {
    url,
    log: () => stderr,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      return code;
    },
  };
}

/** A `metascope serve` on a fresh data folder, watching `<folder>/microscope`. */
export interface WatchingServe {
  folder: string;
  /** The microscope's export folder it watches. */
  watch: string;
  serve: ServeProcess;
}

/**
 * Starts `serve` in a new temporary folder on the model `writeModel` writes there, with the
 * stand-in cell finder (bright blobs are cells), so a synthetic field's cells are known whatever a
 * trained finder would make of them.
 */
export async function serveWatching(
  prefix: string,
  writeModel: (folder: string) => Promise<void>,
): Promise<WatchingServe> {
  const folder = await mkdtemp(path.join(tmpdir(), prefix));
  const watch = path.join(folder, 'microscope');
  await mkdir(watch);
  const model = path.join(folder, 'model');
  await writeModel(model);
  const detector = path.join(folder, 'detector');
  await writeDetectorFolder(detector);
  const serve = await startServe(
    [
      ...['--db', path.join(folder, 'data', 'metascope.db'), '--model', model],
      ...['--detector', detector, '--watch', watch],
    ],
    { METASCOPE_DATA: path.join(folder, 'data'), METASCOPE_INBOX: path.join(folder, 'inbox') },
  );
  return { folder, watch, serve };
}
