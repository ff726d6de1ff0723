import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, Menu, session, type IpcMainEvent } from 'electron';
import { openLog } from '../core/log-file.js';
import { dataFolder, defaultDatabase, defaultInbox } from '../core/paths.js';
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
  preload: path.resolve(here, '../preload/sandboxed/index.js'),
  engine: path.resolve(here, '../engine-process/index.js'),
  renderer: path.resolve(here, '../../renderer'),
  icon: path.resolve(here, '../../../resources/icon.png'),
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
  process.env.METASCOPE_MODELS = path.join(process.resourcesPath, 'models');
// Chromium's profile lives with MetaScope's data, so METASCOPE_DATA isolates a run completely.
app.setPath('userData', path.join(dataFolder(), 'electron'));
app.enableSandbox();
registerSchemes();
guardAllWebContents(log);

const ourWindows = new Set<number>();
let supervisor: EngineSupervisor | null = null;

function openWindow(): BrowserWindow {
  const window = createMainWindow({ preload: paths.preload, icon: paths.icon, devTools, log });
  const id = window.webContents.id;
  ourWindows.add(id);
  window.on('closed', () => ourWindows.delete(id));
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
  if (!existsSync(path.join(paths.renderer, 'index.html'))) {
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
  // Quit waits for the engine to finish what it started and close its database.
  let shutDown = false;
  let shuttingDown = false;
  app.on('before-quit', (event) => {
    if (shutDown || !supervisor) return;
    event.preventDefault();
    if (shuttingDown) return;
    shuttingDown = true;
    void supervisor.shutdown().finally(() => {
      shutDown = true;
      app.quit();
    });
  });
  app.whenReady().then(ready, (error: unknown) => {
    log(`MetaScope could not start: ${error instanceof Error ? error.stack : String(error)}`);
    app.exit(1);
  });
}
