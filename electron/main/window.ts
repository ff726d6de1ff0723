import { readFileSync } from 'node:fs';
import { app, BrowserWindow, dialog, nativeImage, type NativeImage } from 'electron';
import { appOrigin } from './csp.js';
import { secureWebPreferences } from './web-preferences.js';
import { createWindowRecovery } from './window-recovery.js';

export interface WindowOptions {
  preload: string;
  /** resources/icon.png: inside app.asar once packaged. */
  icon: string;
  devTools: boolean;
  log(message: string): void;
}

/**
 * The icon read through Node's fs, which reads inside app.asar; null (and a log line) when it
 * cannot be read, so a missing icon never stops the window.
 */
function windowIcon(file: string, log: (message: string) => void): NativeImage | null {
  try {
    const icon = nativeImage.createFromBuffer(readFileSync(file));
    if (!icon.isEmpty()) return icon;
    log(`The window icon ${file} is not a picture Electron can read.`);
  } catch (error) {
    log(`The window icon could not be read: ${error instanceof Error ? error.message : String(error)}`);
  }
  return null;
}

/** The main window: the renderer from app://metascope, with the secure webPreferences. */
export function createMainWindow(options: WindowOptions): BrowserWindow {
  const icon = windowIcon(options.icon, options.log);
  const window = new BrowserWindow({
    width: 1360,
    height: 860,
    minWidth: 900,
    minHeight: 600,
    title: 'MetaScope',
    show: false,
    backgroundColor: '#0f1419',
    ...(icon ? { icon } : {}),
    webPreferences: secureWebPreferences({ preload: options.preload, devTools: options.devTools }),
  });
  window.once('ready-to-show', () => window.show());

  const recovery = createWindowRecovery();
  let asking = false;
  const reload = () => {
    if (!window.isDestroyed()) window.webContents.reload();
  };
  window.webContents.on('render-process-gone', (_event, details) => {
    options.log(`The window's renderer stopped (${details.reason}, exit code ${details.exitCode}).`);
    const next = recovery.onGone(details.reason, Date.now());
    if (next.action === 'reload') {
      setTimeout(reload, next.delayMs);
    } else if (next.action === 'ask' && !asking && !window.isDestroyed()) {
      asking = true;
      void dialog
        .showMessageBox(window, {
          type: 'error',
          title: 'MetaScope',
          message: 'The MetaScope window keeps stopping',
          detail: next.message,
          buttons: ['Reload the window', 'Quit MetaScope'],
          defaultId: 0,
          cancelId: 1,
        })
        .then(({ response }) => {
          asking = false;
          if (response === 0) {
            recovery.reset();
            reload();
          } else {
            app.quit();
          }
        });
    }
  });
  void window.loadURL(`${appOrigin}/index.html`);
  return window;
}
