import { imageWindowHeaders, type ImageOptions } from '$contract/images.js';
import { engine } from './engine.js';

export const thumbnailUrl = (sha256: string, size = 192): string =>
  engine.imageUrl(sha256, { size, format: 'webp' });

export interface Rendition {
  /** A blob: URL; revoke it when the picture is replaced. */
  url: string;
  /** The contrast window the engine used, in raw sample values. */
  window: { low: number; high: number } | null;
}

/** A picture for the viewer, with the window it was drawn with (an <img> cannot read headers). */
export async function fetchRendition(sha256: string, options: ImageOptions): Promise<Rendition> {
  const response = await fetch(engine.imageUrl(sha256, options));
  if (!response.ok)
    throw new Error((await response.text()) || `The picture could not be made (HTTP ${response.status}).`);
  const low = Number(response.headers.get(imageWindowHeaders.low));
  const high = Number(response.headers.get(imageWindowHeaders.high));
  const known = response.headers.has(imageWindowHeaders.low) && high > low;
  return { url: URL.createObjectURL(await response.blob()), window: known ? { low, high } : null };
}
