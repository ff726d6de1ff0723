import { z } from 'zod';

/**
 * How a front end asks for a picture of a capture. The desktop app serves it through its own
 * protocol, browser mode over HTTP; both parse the same query, so the renderer builds one URL shape.
 */
export const imageScheme = 'metascope-image';

/** Desktop: `metascope-image://capture/<sha256>?…`. Browser mode: `/image/<sha256>?…`, let in by its cookie. */
export const imageBases = { desktop: `${imageScheme}://capture/`, browser: '/image/' } as const;

/** The limits of a capture image request, the same for every front door and the engine. */
export const imageBounds = {
  /** Longest side of the rendition in pixels. */
  size: { min: 16, max: 4096, fallback: 256 },
  page: { max: 9999 },
  /** A contrast window is in raw sample values: 8- or 16-bit. */
  sample: { max: 65535 },
} as const;

const sample = z.coerce.number().int().min(0).max(imageBounds.sample.max);

/**
 * The one schema of a capture image request: the desktop protocol, browser mode's HTTP route, the
 * engine process's render message and the engine's own door (core/files/capture-pictures) all read
 * a request with it.
 */
export const imageRequest = z
  .object({
    size: z.coerce
      .number()
      .int()
      .min(imageBounds.size.min)
      .max(imageBounds.size.max)
      .default(imageBounds.size.fallback),
    page: z.coerce.number().int().min(0).max(imageBounds.page.max).optional(),
    /** A manual contrast window; both or neither, else the automatic window. */
    low: sample.optional(),
    high: sample.optional(),
    format: z.enum(['png', 'webp']).default('webp'),
    /** One cell of a field: its window as the classifier saw it, after its intensity step. */
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

/** What a front end asks for: the request itself, the format left to its default if it likes. */
export type ImageOptions = Omit<ImageRequest, 'format'> & Partial<Pick<ImageRequest, 'format'>>;

export const sha256Pattern = /^[0-9a-f]{64}$/;

/** The window the rendition used, so a viewer can place its contrast sliders. */
export const imageWindowHeaders = { low: 'X-MetaScope-Window-Low', high: 'X-MetaScope-Window-High' } as const;

const requestKeys = new Set(['size', 'page', 'low', 'high', 'format', 'cell']);

/**
 * `<sha256>?size=…`, to append to one of the image bases.
 * The size is brought within the bounds, so a capture smaller than the smallest rendition (which
 * is then drawn at its own size) still gets a valid address.
 */
export function imagePath(sha256: string, options: ImageOptions): string {
  const query = new URLSearchParams();
  const size = Math.min(imageBounds.size.max, Math.max(imageBounds.size.min, Math.round(options.size)));
  for (const [key, value] of Object.entries({ ...options, size })) {
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
