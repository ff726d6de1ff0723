import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { appRoot, defaultDatabase, defaultInbox } from '../core/paths.js';
import { startServer } from '../serve/server.js';
import { startWorkerHost } from '../serve/worker-host.js';
import { connectionFrom } from './facility.js';
import { surviveUnhandledRejections } from './unhandled-rejections.js';
import { UsageError } from './usage.js';

export interface ServeOptions {
  port: number;
  db?: string;
  model?: string;
  detector?: string;
  watch?: string[];
  open?: boolean;
  facility?: string;
  passwordFile?: string;
}

/** `metascope serve`: the full app in a browser on this machine, until Ctrl-C. Returns the exit code. */
export async function serveCommand(options: ServeOptions): Promise<number> {
  const root = path.join(appRoot(), 'dist', 'renderer');
  if (!existsSync(path.join(root, 'index.html'))) {
    throw new UsageError(
      'The browser interface is not built yet: run `npm run build` in the MetaScope folder first.',
    );
  }
  // An address or password file that can never work is refused before anything starts.
  if (options.facility) connectionFrom({ facility: options.facility, passwordFile: options.passwordFile });
  surviveUnhandledRejections();
  process.stderr.write('Starting the engine…\n');
  const host = await startWorkerHost({
    database: path.resolve(options.db ?? defaultDatabase()),
    modelFolder: options.model && path.resolve(options.model),
    detectorFolder: options.detector && path.resolve(options.detector),
    inbox: defaultInbox(),
    mode: 'browser',
    watch: options.watch?.map((folder) => path.resolve(folder)),
    facility: options.facility
      ? { address: options.facility, passwordFile: options.passwordFile ? path.resolve(options.passwordFile) : null }
      : undefined,
  }).catch((error: unknown) => {
    // Another MetaScope on the database is a usage problem (exit code 2), as for `watch`.
    if ((error as { code?: unknown }).code === 'in-use') throw new UsageError((error as Error).message);
    process.stderr.write(
      `metascope: the engine could not start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return null;
  });
  if (!host) return 3;
  // Problems the engine meets (an inbox it cannot create, a full disk) are said here too.
  host.onEvent((event) => {
    const notice = event.name === 'notice' ? (event.payload as { level: string; message: string }) : null;
    if (notice && notice.level !== 'info') process.stderr.write(`metascope: ${notice.level}: ${notice.message}\n`);
  });
  const server = await startServer({ host, root, port: options.port }).catch(
    async (error: NodeJS.ErrnoException) => {
      await host.close();
      throw error.code === 'EADDRINUSE'
        ? new UsageError(
            `Port ${options.port} is in use: choose another with --port, or leave --port out for a free one.`,
          )
        : error;
    },
  );
  process.stdout.write(`MetaScope is running at ${server.url}\n`);
  process.stderr.write('Keep this window open while you use MetaScope; press Ctrl-C to stop it.\n');
  // The browser's command line is readable by every account here: it gets a one-time code, never the token.
  if (options.open) openInBrowser(server.signInUrl());

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.stderr.write(`Stopping MetaScope (${signal})…\n`);
  await server.close();
  await host.close();
  return 0;
}

function openInBrowser(url: string): void {
  const [command, args] =
    process.platform === 'win32'
      ? ['rundll32', ['url.dll,FileProtocolHandler', url]]
      : [process.platform === 'darwin' ? 'open' : 'xdg-open', [url]];
  const child = spawn(command, args, { detached: true, stdio: 'ignore', windowsHide: true });
  child.on('error', () =>
    process.stderr.write('Could not open a browser: copy the address above into one.\n'),
  );
  child.unref();
}
