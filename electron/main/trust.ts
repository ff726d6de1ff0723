import { appOrigin } from './csp.js';

/**
 * Who may talk to the main process, and where a window may go. Pure: no electron import.
 *
 * Node's URL gives the origin of a non-special scheme such as app: as "null", so origins are
 * compared by protocol and host.
 */
const app = new URL(appOrigin);

export function isAppUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return (
      parsed.protocol === app.protocol &&
      parsed.host === app.host &&
      parsed.username === '' &&
      parsed.password === ''
    );
  } catch {
    return false;
  }
}

/** What the main process knows about an IPC sender (from event.sender and event.senderFrame). */
export interface SenderInfo {
  webContentsId: number;
  /** null when the frame was already gone when the message arrived. */
  frame: { url: string; isMainFrame: boolean } | null;
}

/** Accepts only the top frame of one of our own windows, showing our own bundled renderer. */
export function isTrustedSender(sender: SenderInfo, ourWebContents: ReadonlySet<number>): boolean {
  if (!ourWebContents.has(sender.webContentsId)) return false;
  if (!sender.frame || !sender.frame.isMainFrame) return false;
  return isAppUrl(sender.frame.url);
}

/**
 * Whether a window may navigate to `url`. MetaScope is one page: nothing is ever navigated to
 * (in-app routes change the hash or history, which Electron does not report as navigation).
 */
export function mayNavigate(_url: string): boolean {
  return false;
}
