import { protocol } from 'electron';
import { imageScheme, imageWindowHeaders, type ImageRequest } from '../contract/images.js';
import { ContractError } from '../contract/messages.js';
import { appOrigin, contentSecurityPolicy } from './csp.js';
import type { Rendition } from './engine-supervisor.js';
import { parseImageUrl } from './image-url.js';
import { readRendererFile } from './renderer-files.js';

/**
 * The two schemes MetaScope pages use: app://metascope/ serves the built renderer (and nothing
 * else), metascope-image://capture/<sha256> serves renditions made by the engine.
 */
const appScheme = new URL(appOrigin).protocol.replace(/:$/, '');

/** Must run before the app is ready. Neither scheme bypasses CSP; both are secure and standard. */
export function registerSchemes(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: appScheme, privileges: { standard: true, secure: true, supportFetchAPI: true } },
    {
      scheme: imageScheme,
      privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true },
    },
  ]);
}

const baseHeaders = () => ({
  'Content-Security-Policy': contentSecurityPolicy(),
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
});

const text = (status: number, message: string, extra: Record<string, string> = {}) =>
  new Response(message, {
    status,
    headers: { ...baseHeaders(), 'Content-Type': 'text/plain; charset=utf-8', ...extra },
  });

const statusOf: Record<string, number> = {
  'not-found': 404,
  forbidden: 403,
  'engine-unavailable': 503,
  timeout: 504,
  'bad-request': 400,
};

export interface ProtocolDeps {
  rendererRoot: string;
  renderImage(sha256: string, request: ImageRequest): Promise<Rendition>;
  log(message: string): void;
}

export function handleProtocols(deps: ProtocolDeps): void {
  protocol.handle(appScheme, async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return text(405, 'Only GET.');
    const file = await readRendererFile(deps.rendererRoot, request.url);
    if (!file.ok) {
      deps.log(`app:// refused ${request.url.slice(0, 200)}: ${file.reason}`);
      return text(file.status, file.reason);
    }
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(file.bytes), {
      headers: { ...baseHeaders(), 'Content-Type': file.type, 'Cache-Control': 'no-cache' },
    });
  });

  const cors = {
    'Access-Control-Allow-Origin': appOrigin,
    'Access-Control-Expose-Headers': `${imageWindowHeaders.low}, ${imageWindowHeaders.high}`,
    Vary: 'Origin',
  };
  protocol.handle(imageScheme, async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return text(405, 'Only GET.', cors);
    const parsed = parseImageUrl(request.url);
    if (!parsed.ok) return text(parsed.status, parsed.reason, cors);
    try {
      const image = await deps.renderImage(parsed.sha256, parsed.request);
      if (image.mime !== 'image/png' && image.mime !== 'image/webp')
        return text(500, 'The engine made an unexpected kind of picture.', cors);
      return new Response(request.method === 'HEAD' ? null : new Uint8Array(image.body), {
        headers: {
          ...baseHeaders(),
          ...cors,
          'Content-Type': image.mime,
          // A rendition depends only on the capture's content (its sha256) and the query.
          'Cache-Control': 'private, max-age=3600',
          [imageWindowHeaders.low]: String(image.window.low),
          [imageWindowHeaders.high]: String(image.window.high),
        },
      });
    } catch (error) {
      const code = error instanceof ContractError ? error.code : 'engine-error';
      const message = error instanceof Error ? error.message : String(error);
      return text(statusOf[code] ?? 500, message, cors);
    }
  });
}
