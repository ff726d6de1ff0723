import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ContractError } from '../../contract/messages.js';
import type { ImageRequest } from '../../contract/images.js';
import { readCaptureInfo } from '../capture/decode.js';
import { renderDisplay } from '../capture/display.js';
import type { Store } from '../store/store.js';
import { readStoredCapture } from './capture-content.js';
import { renderCellWindow } from './cell-window.js';
import type { Classification } from './classification.js';

export interface RenderedImage {
  body: Buffer;
  mime: string;
  window: { low: number; high: number };
}

/** Pictures of captures and of their cells, as the viewer asks for them; thumbnails are cached. */
export class CaptureImages {
  constructor(
    private readonly store: Store,
    private readonly classification: Classification,
    readonly thumbnails: string,
  ) {}

  async render(sha256: string, request: ImageRequest): Promise<RenderedImage> {
    const capture = this.store.captures.get(sha256);
    if (!capture) throw new ContractError('not-found', 'This capture is not in the database.');
    if (request.cell !== undefined) return this.renderCell(sha256, request.cell, request);
    const automatic = request.low === undefined || request.high === undefined;
    const cached = path.join(this.thumbnails, `${sha256}-${request.size}-${request.page ?? 0}.${request.format}`);
    if (automatic) {
      // The picture and the window it was drawn with are cached together, so sliders can start there.
      const [hit, window] = await Promise.all([
        readFile(cached).catch(() => null),
        readFile(`${cached}.json`, 'utf8').then(
          (text) => JSON.parse(text) as { low: number; high: number },
          () => null,
        ),
      ]);
      if (hit && window) return { body: hit, mime: `image/${request.format}`, window };
    }
    const bytes = await readStoredCapture(capture);
    const info = await readCaptureInfo(bytes);
    const display = await renderDisplay(bytes, info, {
      page: request.page,
      maxSize: request.size,
      window: automatic ? 'auto' : { low: request.low!, high: request.high! },
      format: request.format,
    });
    if (automatic && request.size <= 512) {
      await mkdir(this.thumbnails, { recursive: true });
      // A cache that cannot be written only costs a re-render next time.
      await writeFile(`${cached}.json`, JSON.stringify(display.window))
        .then(() => writeFile(cached, display.image))
        .catch(() => undefined);
    }
    return { body: display.image, mime: display.mime, window: display.window };
  }

  /** A cell of one of the capture's results, drawn as the classifier saw it. */
  private async renderCell(sha256: string, cellId: number, request: ImageRequest): Promise<RenderedImage> {
    const capture = this.store.captures.get(sha256);
    const cell = this.store.cells.get(cellId);
    const result = cell && this.store.history.forCapture(sha256).find((r) => r.resultId === cell.resultId);
    if (!capture || !cell || !result)
      throw new ContractError('not-found', 'That cell is not one of this capture’s cells.');
    const bytes = await readStoredCapture(capture);
    const classifier = this.classification.active;
    const same = classifier && classifier.identity.sha256 === result.model.sha256 ? classifier.preprocessor : null;
    return renderCellWindow(bytes, cell, same, {
      size: request.size,
      page: request.page,
      format: request.format,
    });
  }
}
