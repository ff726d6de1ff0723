import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** A fresh secret per run: whoever can reach 127.0.0.1 still cannot use MetaScope without it. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function sameSecret(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Cookies are shared by every port of a host, so the name carries the port. */
export const cookieName = (port: number) => `metascope-token-${port}`;

/** The token from `?token=` (the first page, images, the socket) or the cookie set on the first page. */
export function presentedToken(request: IncomingMessage, url: URL, port: number): string | undefined {
  const fromQuery = url.searchParams.get('token');
  if (fromQuery !== null) return fromQuery;
  const prefix = `${cookieName(port)}=`;
  return request.headers.cookie
    ?.split(';')
    .map((part) => part.trim())
    .find((part) => part.startsWith(prefix))
    ?.slice(prefix.length);
}

/** Refuses other host names (DNS rebinding) and, for the socket, pages from other origins. */
export function allowedHost(request: IncomingMessage, port: number): boolean {
  return [`127.0.0.1:${port}`, `localhost:${port}`].includes(request.headers.host ?? '');
}

export function allowedOrigin(request: IncomingMessage, port: number): boolean {
  const origin = request.headers.origin;
  return origin === undefined || [`http://127.0.0.1:${port}`, `http://localhost:${port}`].includes(origin);
}

export function securityHeaders(port: number): Record<string, string> {
  return {
    'Content-Security-Policy': [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' blob: data:",
      `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
      "font-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    // The token is in the page address: never send it on to anyone.
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}
