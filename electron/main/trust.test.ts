import { describe, expect, it } from 'vitest';
import { channels as mainChannels } from './channels.js';
import { isAppUrl, isTrustedSender, mayNavigate } from './trust.js';

describe('isAppUrl', () => {
  it('accepts only app://metascope', () => {
    expect(isAppUrl('app://metascope/index.html')).toBe(true);
    expect(isAppUrl('app://metascope/')).toBe(true);
    for (const url of [
      'app://evil/index.html',
      'app://metascope.evil/index.html',
      'app://user:pw@metascope/index.html',
      'https://metascope/index.html',
      'file:///app/dist/renderer/index.html',
      'metascope-image://capture/x',
      'about:blank',
      'devtools://devtools/bundled/inspector.html',
      'not a url',
      '',
    ]) {
      expect(isAppUrl(url), url).toBe(false);
    }
  });
});

describe('isTrustedSender', () => {
  const ours = new Set([7]);
  const frame = (url: string, isMainFrame = true) => ({ url, isMainFrame });

  it('trusts the main frame of our own window showing our own page', () => {
    expect(isTrustedSender({ webContentsId: 7, frame: frame('app://metascope/index.html') }, ours)).toBe(
      true,
    );
  });

  it('refuses other webContents, sub-frames, vanished frames and foreign pages', () => {
    expect(isTrustedSender({ webContentsId: 8, frame: frame('app://metascope/index.html') }, ours)).toBe(
      false,
    );
    expect(
      isTrustedSender({ webContentsId: 7, frame: frame('app://metascope/index.html', false) }, ours),
    ).toBe(false);
    expect(isTrustedSender({ webContentsId: 7, frame: null }, ours)).toBe(false);
    expect(isTrustedSender({ webContentsId: 7, frame: frame('https://example.com/') }, ours)).toBe(false);
    expect(isTrustedSender({ webContentsId: 7, frame: frame('file:///etc/passwd') }, ours)).toBe(false);
  });
});

describe('navigation', () => {
  it('is never allowed: the app is one page', () => {
    for (const url of [
      'https://example.com',
      'app://metascope/other.html',
      'file:///',
      'javascript:alert(1)',
    ]) {
      expect(mayNavigate(url)).toBe(false);
    }
  });
});

describe('channels', () => {
  it('are all in the metascope: namespace and distinct', () => {
    const names = Object.values(mainChannels);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^metascope:[a-z]+$/);
  });
});
