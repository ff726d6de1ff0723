import { existsSync } from 'node:fs';
import { BrowserWindow } from 'electron';
import { appOrigin } from './csp.js';
import { secureWebPreferences } from './web-preferences.js';

export interface WindowOptions {
  preload: string;
  icon?: string;
  devTools: boolean;
  log(message: string): void;
}

/** The main window: the renderer from app://metascope, with the secure webPreferences. */
export function createMainWindow(options: WindowOptions): BrowserWindow {
  const window = new BrowserWindow({
    width: 1360,
    height: 860,
    minWidth: 900,
    minHeight: 600,
    title: 'MetaScope',
    show: false,
    backgroundColor: '#0f1419',
    ...(options.icon && existsSync(options.icon) ? { icon: options.icon } : {}),
    webPreferences: secureWebPreferences({ preload: options.preload, devTools: options.devTools }),
  });
  window.once('ready-to-show', () => window.show());
  window.webContents.on('render-process-gone', (_event, details) => {
    options.log(`The window's renderer stopped (${details.reason}, exit code ${details.exitCode}).`);
    if (details.reason !== 'clean-exit' && !window.isDestroyed()) window.webContents.reload();
  });
  void window.loadURL(`${appOrigin}/index.html`);
  return window;
}
