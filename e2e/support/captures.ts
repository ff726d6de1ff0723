import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { encode, greyImage, multiPageTiff } from '../../electron/core/capture/testing/images.js';

export interface CaptureFile {
  name: string;
  bytes: Buffer;
}

/** Real brightfield crops beside the checkout (../shared/data), when this machine has them. */
const realData = path.resolve('../shared/data/brightfield-celltype');

/**
 * `count` captures: real ones when available (taking turns between the cell lines), else
 * generated greys. Always the same order, so a longer sample starts with a shorter one.
 */
export async function sampleCaptures(count: number): Promise<CaptureFile[]> {
  if (existsSync(realData)) {
    const lines = readdirSync(realData, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((line) =>
        readdirSync(path.join(realData, line.name))
          .sort()
          .map((name) => path.join(realData, line.name, name)),
      );
    const picks = Array.from(
      { length: count },
      (_, i) => lines[i % lines.length]![Math.floor(i / lines.length)]!,
    );
    return Promise.all(
      picks.map(async (file) => ({ name: path.basename(file), bytes: await readFile(file) })),
    );
  }
  return Promise.all(
    Array.from({ length: count }, async (_, i) => ({
      name: `generated-${i + 1}.png`,
      bytes: await encode(
        greyImage(96, 96, 8, (x, y) => (x * 3 + y * 5 + i * 37) % 256),
        'png',
      ),
    })),
  );
}

/** A 16-bit, two-page TIFF using a small part of its range, as microscopes write them. */
export async function sixteenBitStack(): Promise<CaptureFile> {
  const page = (offset: number) =>
    greyImage(128, 96, 16, (x, y) => 900 + offset + ((x * 13 + y * 7) % 64) * 40);
  return { name: 'stack-16bit-2pages.tif', bytes: await multiPageTiff([page(0), page(1500)]) };
}
