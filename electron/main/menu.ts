import { app, Menu, shell, type MenuItemConstructorOptions } from 'electron';
import { logFile } from '../core/log-file.js';

export interface MenuOptions {
  inbox: string;
  devTools: boolean;
}

/**
 * The application menu: the usual roles, the inbox one click away, the log file for when something
 * went wrong (an app started from a menu has no terminal), DevTools only in development.
 */
export function buildMenu(options: MenuOptions): Menu {
  const mac = process.platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [
    ...(mac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        {
          label: 'Open Inbox Folder',
          click: () => void shell.openPath(options.inbox),
        },
        { type: 'separator' },
        mac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { role: 'reload' },
        ...(options.devTools ? [{ role: 'toggleDevTools' as const }] : []),
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [
        // Shown in its folder, beside the engine's log and the older ones, to send them all along.
        { label: 'Show Log File', click: () => shell.showItemInFolder(logFile('main')) },
        { type: 'separator' },
        { label: `About MetaScope ${app.getVersion()}`, click: () => app.showAboutPanel() },
      ],
    },
  ];
  return Menu.buildFromTemplate(template);
}
