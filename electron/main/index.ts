import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, Menu, session, type IpcMainEvent } from 'electron';
import { openLog } from '../core/log-file.js';
import { dataFolder, defaultDatabase, defaultInbox } from '../core/paths.js';
import { appFiles, shippedModels } from './app-files.js';
import { channels } from './channels.js';
import { EngineSupervisor } from './engine-supervisor.js';
import { buildMenu } from './menu.js';
import { handleProtocols, registerSchemes } from './protocols.js';
import { guardAllWebContents, hardenSession } from './security.js';
import { answerShellRequest, shellRequestNames } from './shell.js';
import { isTrustedSender } from './trust.js';
import { createMainWindow } from './window.js';

/**
 * The desktop shell's main process: windows, menu, dialogs, the two protocols, security
 * settings, and the engine's utility process. It runs no engine code itself.
 */
const here = path.dirname(fileURLToPath(import.meta.url)); // dist/electron/main
const paths = {
  // The same paths inside app.asar; the packaging test checks that each of them is packed.
  ...appFiles(here),
  // better-sqlite3 built for Electron: shipped as a resource by `npm run dist`, made by `npm start`
  // from a source folder (which names it). The installed app never takes a library from the environment.
  sqliteAddon: app.isPackaged
    ? path.join(process.resourcesPath, 'native', 'better_sqlite3.node')
    : process.env.METASCOPE_SQLITE_ADDON || undefined,
};
const log = openLog('main');
const devTools = !app.isPackaged;

// The installed app ships its models as extra resources, outside app.asar.
if (app.isPackaged && !process.env.METASCOPE_MODELS)
  process.env.METASCOPE_MODELS = shippedModels(process.resourcesPath);
// Chromium's profile lives with MetaScope's data, so METASCOPE_DATA isolates a run completely.
// app.setPath throws for a folder that does not exist yet (electron.d.ts), as on a first start.
try {
  const profile = path.join(dataFolder(), 'electron');
  mkdirSync(profile, { recursive: true });
  app.setPath('userData', profile);
} catch (error) {
  dialog.showErrorBox(
    'MetaScope cannot use its data folder',
    `MetaScope keeps its database in ${dataFolder()}, but cannot write there (${error instanceof Error ? error.message : String(error)}). Check that folder's permissions, or set METASCOPE_DATA to a folder you can write to.`,
  );
  app.exit(1);
}
app.enableSandbox();
registerSchemes();
guardAllWebContents(log);

const ourWindows = new Set<number>();
let supervisor: EngineSupervisor | null = null;
/** Quitting: 'draining' while the engine finishes, 'done' once it has closed its database. */
let quitting: 'no' | 'draining' | 'done' = 'no';

function openWindow(): BrowserWindow {
  const window = createMainWindow({ preload: paths.preload, icon: paths.icon, devTools, log });
  const id = window.webContents.id;
  ourWindows.add(id);
  window.on('closed', () => ourWindows.delete(id));
  // Closing the last window quits (except on macOS): the window stays open, saying that
  // MetaScope is closing, until the engine has finished, instead of vanishing while it drains.
  window.on('close', (event) => {
    if (process.platform === 'darwin' || quitting === 'done' || !supervisor) return;
    const others = BrowserWindow.getAllWindows().filter((w) => w !== window && !w.isDestroyed());
    if (others.length > 0) return;
    event.preventDefault();
    app.quit();
  });
  return window;
}

function senderOf(event: IpcMainEvent) {
  const frame = event.senderFrame;
  return {
    webContentsId: event.sender.id,
    frame: frame ? { url: frame.url, isMainFrame: frame.parent === null } : null,
  };
}

async function ready(): Promise<void> {
  if (!existsSync(paths.rendererPage)) {
    dialog.showErrorBox(
      'MetaScope is not built',
      'The interface is missing: run `npm run build` in the MetaScope folder, then start it again.',
    );
    app.exit(1);
    return;
  }
  hardenSession(session.defaultSession, log);

  const engine = new EngineSupervisor({
    entry: paths.engine,
    // No modelFolder: the engine uses the saved choice, else the built-in default (METASCOPE_MODELS).
    start: {
      database: defaultDatabase(),
      inbox: defaultInbox(),
      mode: 'desktop',
      sqliteAddon: paths.sqliteAddon,
    },
    shellRequests: shellRequestNames,
    answerShellRequest: (windowId, message) => {
      const window =
        BrowserWindow.getAllWindows().find((w) => !w.isDestroyed() && w.webContents.id === windowId) ?? null;
      return answerShellRequest(window, message);
    },
    log,
  });
  supervisor = engine;
  handleProtocols({
    rendererRoot: paths.renderer,
    renderImage: (sha256, request) => engine.renderImage(sha256, request),
    log,
  });
  engine.start();

  ipcMain.on(channels.connect, (event) => {
    if (!isTrustedSender(senderOf(event), ourWindows)) {
      log(`Ignored ${channels.connect} from an untrusted sender (${event.senderFrame?.url ?? 'no frame'}).`);
      return;
    }
    engine.attach(event.sender);
  });

  Menu.setApplicationMenu(buildMenu({ inbox: defaultInbox(), devTools }));
  openWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) openWindow();
  });
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    const window = BrowserWindow.getAllWindows()[0];
    if (window) {
      if (window.isMinimized()) window.restore();
      window.focus();
    }
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  // Quit (the menu, the last window, or SIGTERM/SIGINT/SIGHUP, which Electron turns into a quit
  // on Linux and macOS) waits for the engine to finish what it started and close its database.
  app.on('before-quit', (event) => {
    if (quitting === 'done' || !supervisor) return;
    event.preventDefault();
    if (quitting === 'draining') return;
    quitting = 'draining';
    void supervisor.shutdown().finally(() => {
      quitting = 'done';
      app.quit();
    });
  });
  app.whenReady().then(ready, (error: unknown) => {
    log(`MetaScope could not start: ${error instanceof Error ? error.stack : String(error)}`);
    app.exit(1);
  });
}
