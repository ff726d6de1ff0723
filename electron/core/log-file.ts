import { copyFileSync, existsSync, renameSync } from 'node:fs';
import path from 'node:path';
import { format } from 'node:util';
import electronLog from 'electron-log/node';
import { appVersion, dataFolder } from './paths.js';

/**
 * The desktop app's log: a file in MetaScope's data folder, because an app started from a menu
 * has no terminal. Each process writes its own file (main.log, engine.log): electron-log counts a
 * file's size in the process that writes it, so two writers of one file would rotate it under
 * each other. Every line also goes to stderr, for whoever started MetaScope in a terminal.
 *
 * electron-log's Node entry, not its `main` one, in both processes: the engine's utility process
 * has no `app`, and `electron-log/main` listens on ipcMain for any page's messages, which the
 * contract's sender checks would never see.
 */
export type LoggingProcess = 'main' | 'engine';

export type Log = (message: string) => void;

export interface LogOptions {
  /** Default: logFolder(). */
  folder?: string;
  /** A file larger than this is set aside and a new one begun. */
  maxBytes?: number;
  /** How many set-aside files are kept (main.1.log is the newest). */
  keep?: number;
  /** Also write every line to stderr. */
  stderr?: boolean;
  /** Record an uncaught error in the file before the process handles it as it would anyway. */
  uncaughtErrors?: boolean;
}

const logLimits = { maxBytes: 1024 * 1024, keep: 3 } as const;

export function logFolder(data = dataFolder()): string {
  return path.join(data, 'logs');
}

export function logFile(writer: LoggingProcess, folder = logFolder()): string {
  return path.join(folder, `${writer}.log`);
}

/** Where a person finds the log, for the end of a message about something that went wrong. */
export function whereTheLogIs(folder = logFolder()): string {
  return `Help > Show Log File opens MetaScope's log (in ${folder}), which says more; send it along when asking for help.`;
}

/** main.log → main.1.log → main.2.log …; a rename onto the oldest kept file replaces it. */
function setAside(file: { path: string; clear(): boolean }, keep: number): void {
  const { dir, name, ext } = path.parse(file.path);
  const archived = (n: number) => path.join(dir, `${name}.${n}${ext}`);
  try {
    for (let n = keep - 1; n >= 1; n--) if (existsSync(archived(n))) renameSync(archived(n), archived(n + 1));
    renameSync(file.path, archived(1));
  } catch {
    // Windows may refuse to rename a file another program holds open: keep a copy, then empty it.
    try {
      copyFileSync(file.path, archived(1));
    } catch {
      // The copy is a courtesy; keeping the file's size bounded is not.
    }
    file.clear();
  }
}

export function openLog(writer: LoggingProcess, options: LogOptions = {}): Log {
  const folder = options.folder ?? logFolder();
  const keep = Math.max(1, options.keep ?? logLimits.keep);
  const logger = electronLog.create({ logId: `metascope-${writer}` });
  const { file, console: stderr } = logger.transports;
  // Named here so that electron-log never looks for a package.json to name the app.
  file.setAppName('MetaScope');
  file.resolvePathFn = () => logFile(writer, folder);
  file.format = '[{y}-{m}-{d} {h}:{i}:{s}.{ms} {z}] [{level}] {text}';
  file.maxSize = options.maxBytes ?? logLimits.maxBytes;
  file.archiveLogFn = (old) => setAside(old, keep);
  stderr.level = options.stderr === false ? false : 'silly';
  stderr.format = `[${writer}] {text}`;
  stderr.writeFn = ({ message }) => process.stderr.write(`${format(...message.data)}\n`);

  // Only to the file: a process prints its own uncaught errors to stderr, and the supervisor takes
  // the engine's last line there as the reason for a crash, which a start line must never become.
  const toFile = (level: 'info' | 'error', text: string) =>
    logger.processMessage({ data: [text], date: new Date(), level }, { transports: ['file'] });
  if (options.uncaughtErrors !== false) {
    // A monitor only watches: the process still crashes (or shows Electron's dialog) as before.
    process.on('uncaughtExceptionMonitor', (error, origin) =>
      toFile(
        'error',
        `${origin === 'unhandledRejection' ? 'Unhandled rejection' : 'Uncaught error'}: ${error.stack ?? error}`,
      ),
    );
  }
  const runtime = process.versions.electron
    ? `Electron ${process.versions.electron}`
    : `Node ${process.version}`;
  toFile(
    'info',
    `MetaScope ${appVersion()}: the ${writer} process started (${runtime}, ${process.platform}, process id ${process.pid}).`,
  );
  return (message) => logger.info(message);
}
