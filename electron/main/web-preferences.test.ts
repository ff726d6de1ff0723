import { describe, expect, it } from 'vitest';
import { forbiddenWebPreferenceKeys, secureWebPreferences } from './web-preferences.js';

describe('secureWebPreferences', () => {
  const prefs = secureWebPreferences({ preload: '/app/dist/electron/preload/index.js', devTools: false });

  it('isolates, sandboxes and keeps Node out of the renderer', () => {
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
    });
  });

  it('keeps web security on and everything experimental or embeddable off', () => {
    expect(prefs).toMatchObject({
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      plugins: false,
      enableWebSQL: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      disableBlinkFeatures: 'Auxclick',
    });
  });

  it('sets none of the keys that would weaken a window', () => {
    for (const key of forbiddenWebPreferenceKeys) expect(prefs).not.toHaveProperty(key);
  });

  it('passes the preload and the DevTools switch through, and nothing else', () => {
    expect(prefs.preload).toBe('/app/dist/electron/preload/index.js');
    expect(prefs.devTools).toBe(false);
    expect(secureWebPreferences({ preload: '/p.js', devTools: true }).devTools).toBe(true);
    expect(Object.keys(prefs).sort()).toEqual(
      [
        'allowRunningInsecureContent',
        'contextIsolation',
        'devTools',
        'disableBlinkFeatures',
        'enableWebSQL',
        'experimentalFeatures',
        'navigateOnDragDrop',
        'nodeIntegration',
        'nodeIntegrationInSubFrames',
        'nodeIntegrationInWorker',
        'plugins',
        'preload',
        'safeDialogs',
        'sandbox',
        'spellcheck',
        'webSecurity',
        'webviewTag',
      ].sort(),
    );
  });

  it('is frozen, so no caller can loosen it afterwards', () => {
    expect(Object.isFrozen(prefs)).toBe(true);
    expect(() => {
      (prefs as { sandbox: boolean }).sandbox = false;
    }).toThrow();
  });

  it('refuses a relative preload path', () => {
    expect(() => secureWebPreferences({ preload: 'preload.js', devTools: false })).toThrow(/absolute/);
  });
});
