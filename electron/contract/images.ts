import { z } from 'zod';

/**
 * How a front end asks for a picture of a capture. The desktop app serves it through its own
 * protocol, browser mode over HTTP; both parse the same query, so the renderer builds one URL shape.
 */
export const imageScheme = 'metascope-image';

/** Desktop: `metascope-image://capture/<sha256>?…`. Browser mode: `/image/<sha256>?…&token=…`. */
export const imageBases = { desktop: `${imageScheme}://capture/`, browser: '/image/' } as const;

export interface ImageOptions {
  /** Longest side of the rendition in pixels. */
  size: number;
  page?: number;
  /** A manual contrast window in raw sample values; both or neither, else the automatic window. */
  low?: number;
  high?: number;
  format?: 'png' | 'webp';
  /** One cell of a field: its window as the classifier saw it, after its intensity step. */
  cell?: number;
}

const sample = z.coerce.number().int().min(0).max(65535);
export const imageRequest = z
  .object({
    size: z.coerce.number().int().min(16).max(4096).default(256),
    page: z.coerce.number().int().min(0).max(9999).optional(),
    low: sample.optional(),
    high: sample.optional(),
    format: z.enum(['png', 'webp']).default('webp'),
    cell: z.coerce.number().int().min(1).optional(),
  })
  .refine(
    (r) =>
      (r.low === undefined) === (r.high === undefined) && (r.low === undefined || r.low < (r.high as number)),
    {
      message: 'low and high go together, and low must be below high',
    },
  );

export type ImageRequest = z.output<typeof imageRequest>;

export const sha256Pattern = /^[0-9a-f]{64}$/;

/** The window the rendition used, so a viewer can place its contrast sliders. */
export const imageWindowHeaders = { low: 'X-MetaScope-Window-Low', high: 'X-MetaScope-Window-High' } as const;

const requestKeys = new Set(['size', 'page', 'low', 'high', 'format', 'cell']);

/** `<sha256>?size=…`, to append to one of the image bases; `extra` adds query fields (the token). */
export function imagePath(sha256: string, options: ImageOptions, extra: Record<string, string> = {}): string {
  const query = new URLSearchParams(extra);
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) query.set(key, String(value));
  }
  return `${sha256}?${query}`;
}

/** Parses what follows the base; null when it is not a valid image request. Unknown fields are ignored. */
export function parseImagePath(
  sha256: string,
  query: URLSearchParams,
): { sha256: string; request: ImageRequest } | null {
  if (!sha256Pattern.test(sha256)) return null;
  const request = imageRequest.safeParse(
    Object.fromEntries([...query].filter(([key]) => requestKeys.has(key))),
  );
  return request.success ? { sha256, request: request.data } : null;
}
