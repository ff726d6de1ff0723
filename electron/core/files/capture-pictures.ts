import type { EngineHandlers } from '../../contract/api.js';
import { imageRequest, sha256Pattern, type ImageRequest } from '../../contract/images.js';
import { ContractError } from '../../contract/messages.js';
import { captureExtensions } from '../capture/formats.js';
import { missingFileReason, resolveAllowedFile } from './path-guard.js';

/**
 * A picture of a capture, as every front door asks the engine for it (the desktop app's engine
 * process and browser mode's engine thread). The request is read by the contract's one image
 * schema, and the engine draws only from files the path guard allows: a capture stored under a
 * symlink that now leads out of the watched folders is refused, whichever door asked.
 */
export interface CapturePicture {
  body: Buffer;
  mime: string;
  window: { low: number; high: number };
}

/** The part of the engine a picture needs. */
export interface PictureSource {
  handlers: Pick<EngineHandlers, 'captures.get'>;
  /** Folders whose files may be shown: the watched folders and the thumbnail cache. */
  allowedRoots(): string[];
  renderImage(sha256: string, request: ImageRequest): Promise<CapturePicture>;
}

/** Rejects with a ContractError: `bad-request`, `forbidden`, or the engine's own code (`not-found`, …). */
export async function pictureOfCapture(
  engine: PictureSource,
  sha256: string,
  request: unknown,
): Promise<CapturePicture> {
  const parsed = imageRequest.safeParse(request);
  if (!sha256Pattern.test(sha256) || !parsed.success)
    throw new ContractError('bad-request', 'Not a valid capture image request.');
  const refusal = await refusalOutsideFolders(engine, sha256);
  if (refusal) throw new ContractError('forbidden', refusal);
  return engine.renderImage(sha256, parsed.data);
}

/**
 * Every file the engine might read for this capture must pass the path guard. A path that no
 * longer exists is skipped (the engine may still have a cached rendition); one that exists but
 * fails refuses the whole picture.
 */
async function refusalOutsideFolders(engine: PictureSource, sha256: string): Promise<string | null> {
  const detail = await engine.handlers['captures.get']({ sha256 });
  const roots = engine.allowedRoots();
  for (const candidate of detail.capture.paths) {
    const result = await resolveAllowedFile(candidate, { roots, extensions: captureExtensions });
    if (!result.ok && result.reason !== missingFileReason)
      return `${detail.capture.fileName}: ${result.reason}`;
  }
  return null;
}
