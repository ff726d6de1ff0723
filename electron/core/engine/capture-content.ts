import { ContractError } from '../../contract/messages.js';
import { readCaptureContent } from '../capture/identity.js';

/**
 * The content of a capture, from the first of its paths that still holds it. A microscope may save
 * a new capture under an old name: only bytes with the capture's SHA-256 are this capture, so a
 * picture beside a result (and its cached thumbnail) never shows another capture's pixels.
 */
export async function readStoredCapture(capture: { sha256: string; paths: string[] }): Promise<Buffer> {
  let overwritten = false;
  for (const candidate of capture.paths) {
    const content = await readCaptureContent(candidate).catch(() => null);
    if (content?.sha256 === capture.sha256) return content.bytes;
    overwritten ||= content !== null;
  }
  throw new ContractError(
    'file-missing',
    overwritten
      ? 'The file this capture was found in now holds a different picture (it was overwritten, perhaps by a newer capture under the same name), and no other copy of it is known, so it cannot be shown.'
      : 'The capture file is no longer where it was found (moved or deleted), so it cannot be shown.',
  );
}
