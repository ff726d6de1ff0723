import path from 'node:path';
import type { WebPreferences } from 'electron';

/**
 * The one place a window's webPreferences are made (Electron's security checklist, items 2–4, 6,
 * 8–10, 12). Type-only import of electron: this file runs in plain Node for its tests.
 */
export interface WebPreferencesOptions {
  /** Absolute path of the compiled preload (CommonJS: sandboxed preloads cannot be ES modules). */
  preload: string;
  /** Developer tools: on in development, off in the packaged app. */
  devTools: boolean;
}

export function secureWebPreferences(options: WebPreferencesOptions): WebPreferences {
  if (!path.isAbsolute(options.preload))
    throw new Error(`The preload path must be absolute: ${options.preload}`);
  return Object.freeze({
    preload: options.preload,
    // The renderer is web content: no Node, its own JavaScript world, the OS sandbox.
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    // Same-origin policy and mixed-content blocking stay on.
    webSecurity: true,
    allowRunningInsecureContent: false,
    // No <webview>, no experimental or extra Blink features, no plugins.
    webviewTag: false,
    experimentalFeatures: false,
    plugins: false,
    enableWebSQL: false,
    // A file dropped outside the app's drop zone must not navigate the window to it.
    navigateOnDragDrop: false,
    // Middle-click (auxclick) cannot open links in new windows (they are denied anyway).
    disableBlinkFeatures: 'Auxclick',
    // A page that loops on alert() gets a "stop dialogs" checkbox.
    safeDialogs: true,
    spellcheck: false,
    devTools: options.devTools,
  } satisfies WebPreferences);
}

/** The webPreferences keys whose presence alone would weaken the window; the factory never sets them. */
export const forbiddenWebPreferenceKeys = [
  'enableBlinkFeatures',
  'additionalArguments',
  'partition',
  'session',
  'offscreen',
] as const;
