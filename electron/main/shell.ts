import { BrowserWindow, dialog, type OpenDialogOptions } from 'electron';
import { shellRequestNames, type ShellHandlers } from '../contract/api.js';
import { dispatch, type ResponseMessage } from '../contract/messages.js';

/**
 * The contract requests the main process answers itself because they need a native dialog
 * (`folders.pick`). The engine process forwards them here; dispatch validates input and output
 * exactly as the engine does, and answers anything else as unsupported.
 */
export { shellRequestNames };

export function shellHandlersFor(window: BrowserWindow | null): ShellHandlers {
  return {
    'folders.pick': async ({ title }) => {
      const options: OpenDialogOptions = {
        title: title ?? 'Choose a folder to watch',
        buttonLabel: 'Watch this folder',
        properties: ['openDirectory', 'createDirectory', 'dontAddToRecent'],
      };
      const result =
        window && !window.isDestroyed()
          ? await dialog.showOpenDialog(window, options)
          : await dialog.showOpenDialog(options);
      return { path: result.canceled ? null : (result.filePaths[0] ?? null) };
    },
  };
}

export function answerShellRequest(
  window: BrowserWindow | null,
  raw: unknown,
): Promise<ResponseMessage | null> {
  return dispatch(shellHandlersFor(window), raw);
}
