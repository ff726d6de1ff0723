import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, parsePolicy, withSecurityHeaders } from './csp.js';

describe('contentSecurityPolicy', () => {
  const policy = parsePolicy(contentSecurityPolicy());

  it('denies by default and allows scripts only from the app itself', () => {
    expect(policy.get('default-src')).toEqual(["'none'"]);
    expect(policy.get('script-src')).toEqual(["'self'"]);
  });

  it('never allows inline or eval code, remote hosts or wildcards anywhere', () => {
    for (const [directive, sources] of policy) {
      for (const source of sources) {
        expect(source, directive).not.toMatch(
          /unsafe-eval|unsafe-hashes|wasm-unsafe-eval|strict-dynamic|^\*$|^https?:|^wss?:|^file:/,
        );
        expect(source, directive).not.toBe("'unsafe-inline'");
      }
    }
  });

  it('lets images come only from the app, the image protocol, data: and blob:', () => {
    expect(policy.get('img-src')).toEqual(["'self'", 'metascope-image:', 'data:', 'blob:']);
    expect(policy.get('connect-src')).toEqual(["'self'", 'metascope-image:']);
  });

  it('shuts plugins, frames, base-uri hijacking and form posts', () => {
    for (const directive of [
      'object-src',
      'frame-src',
      'child-src',
      'base-uri',
      'form-action',
      'frame-ancestors',
    ]) {
      expect(policy.get(directive), directive).toEqual(["'none'"]);
    }
  });

  it('is one header value: no newlines, no stray separators', () => {
    const text = contentSecurityPolicy();
    expect(text).not.toMatch(/[\r\n]/);
    expect(text.split(';').every((part) => part.trim().length > 0)).toBe(true);
  });
});

describe('withSecurityHeaders', () => {
  it('replaces a response policy in any casing and keeps other headers', () => {
    const headers = withSecurityHeaders({
      'content-security-policy': ['default-src *'],
      'Content-Security-Policy-Report-Only': ['x'],
      'X-Content-Type-Options': ['sniff'],
      'Content-Type': ['text/html'],
    });
    expect(headers).toEqual({
      'Content-Type': ['text/html'],
      'Content-Security-Policy': [contentSecurityPolicy()],
      'X-Content-Type-Options': ['nosniff'],
    });
  });

  it('adds the policy when the response had no headers', () => {
    expect(withSecurityHeaders(undefined)['Content-Security-Policy']).toEqual([contentSecurityPolicy()]);
  });
});
