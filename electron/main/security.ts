import { app, type Session, type WebContents } from 'electron';
import { withSecurityHeaders } from './csp.js';
import { mayNavigate } from './trust.js';
import { protectedUsbClasses } from './usb-classes.js';

/**
 * Electron's security checklist for everything that is not a window's own settings (those are
 * in web-preferences.ts): CSP on every response, no permissions, no remote requests, no
 * navigation, no new windows, no <webview>.
 */

/** Schemes a MetaScope page may never load from: it is an offline app served from app://. */
const blockedRequests = ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*', 'ftp://*/*', 'file://*/*'];

export function hardenSession(session: Session, log: (message: string) => void): void {
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: withSecurityHeaders(details.responseHeaders) });
  });
  session.webRequest.onBeforeRequest({ urls: blockedRequests }, (details, callback) => {
    // DevTools fetches its own resources over devtools://, which this filter does not cover.
    log(`Blocked a request to ${details.url.slice(0, 200)}`);
    callback({ cancel: true });
  });
  // Camera, microphone, notifications, geolocation, clipboard reading, MIDI, HID, USB, serial…: none.
  session.setPermissionRequestHandler((_contents, permission, callback) => {
    log(`Denied a permission request: ${permission}`);
    callback(false);
  });
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
  // The handler names the classes to protect; an empty list would open them all.
  session.setUSBProtectedClassesHandler(protectedUsbClasses);
}

/** Applied to every webContents the app ever creates (windows, DevTools, anything else). */
export function guardWebContents(contents: WebContents, log: (message: string) => void): void {
  contents.setWindowOpenHandler(({ url }) => {
    log(`Denied opening a new window: ${url.slice(0, 200)}`);
    return { action: 'deny' };
  });
  const refuse = (event: { preventDefault(): void }, url: string, what: string) => {
    if (mayNavigate(url)) return;
    event.preventDefault();
    log(`Denied ${what} to ${url.slice(0, 200)}`);
  };
  contents.on('will-navigate', (event, url) => refuse(event, url, 'navigation'));
  contents.on('will-frame-navigate', (event) => refuse(event, event.url, 'frame navigation'));
  contents.on('will-redirect', (event, url) => refuse(event, url, 'a redirect'));
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
    log('Denied attaching a <webview>.');
  });
}

export function guardAllWebContents(log: (message: string) => void): void {
  app.on('web-contents-created', (_event, contents) => guardWebContents(contents, log));
}
