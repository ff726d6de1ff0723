/**
 * The Content-Security-Policy of every page MetaScope shows, set as a response header (on the
 * app:// responses themselves and again through session.webRequest for anything else).
 * Pure: no electron import.
 */
import { imageScheme } from '../contract/images.js';

export const appOrigin = 'app://metascope';

const directives: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['default-src', ["'none'"]],
  // Only the bundled scripts: no inline script, no eval, no remote code.
  ['script-src', ["'self'"]],
  // Bundled stylesheets only (styles set through the CSSOM, as Svelte and Chart.js do, are allowed).
  ['style-src', ["'self'"]],
  // Captures come through the image protocol; data:/blob: for icons and canvas exports.
  ['img-src', ["'self'", `${imageScheme}:`, 'data:', 'blob:']],
  ['font-src', ["'self'"]],
  // The engine is reached through the preload's MessagePort; fetch() only for image renditions.
  ['connect-src', ["'self'", `${imageScheme}:`]],
  ['worker-src', ["'self'"]],
  ['media-src', ["'none'"]],
  ['object-src', ["'none'"]],
  ['frame-src', ["'none'"]],
  ['child-src', ["'none'"]],
  ['manifest-src', ["'none'"]],
  ['base-uri', ["'none'"]],
  ['form-action', ["'none'"]],
  ['frame-ancestors', ["'none'"]],
];

export function contentSecurityPolicy(): string {
  return directives.map(([name, sources]) => `${name} ${sources.join(' ')}`).join('; ');
}

/** Parses a policy into directive → sources, for tests and checks. */
export function parsePolicy(policy: string): Map<string, string[]> {
  const parsed = new Map<string, string[]>();
  for (const part of policy.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) parsed.set(name.toLowerCase(), sources);
  }
  return parsed;
}

type Headers = Record<string, string | string[]>;

/** The response headers with our policy in place of any the response carried (any casing). */
export function withSecurityHeaders(headers: Headers | undefined, policy = contentSecurityPolicy()): Headers {
  const replaced = new Set([
    'content-security-policy',
    'content-security-policy-report-only',
    'x-content-type-options',
  ]);
  const result: Headers = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (!replaced.has(name.toLowerCase())) result[name] = value;
  }
  result['Content-Security-Policy'] = [policy];
  result['X-Content-Type-Options'] = ['nosniff'];
  return result;
}
