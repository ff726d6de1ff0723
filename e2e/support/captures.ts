import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
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

/** Where the discs of `fieldCapture` lie: a loose grid, two of them near the field's edge. */
export const fieldDiscs = [
  { x: 180, y: 170 },
  { x: 430, y: 210 },
  { x: 700, y: 160 },
  { x: 900, y: 300 },
  { x: 250, y: 450 },
  { x: 520, y: 500 },
  { x: 780, y: 540 },
  { x: 200, y: 760 },
  { x: 470, y: 800 },
  { x: 740, y: 820 },
  // Near the left and the bottom edge: the classifier's window around them runs past the edge.
  { x: 28, y: 600 },
  { x: 610, y: 1000 },
] as const;

/**
 * A whole field as a microscope exports it: 1024 × 1024, 16-bit grey, a dozen bright cells of about
 * 40 pixels across, each in a dark ring, on a dim, uneven, grainy background. Named for well B03 of
 * a plate, as plate imagers name their files.
 */
export async function fieldCapture(): Promise<CaptureFile> {
  const size = 1024;
  const radius = 20;
  const ring = 3;
  const value = (x: number, y: number): number => {
    for (const disc of fieldDiscs) {
      const d = Math.hypot(x - disc.x, y - disc.y);
      // A slightly darker nucleus off the centre, so each cell looks like one when zoomed in.
      if (Math.hypot(x - disc.x - 5, y - disc.y + 4) <= 7) return 27_000;
      if (d <= radius) return Math.round(30_000 + 8_000 * (1 - (d / radius) ** 2));
      if (d <= radius + ring) return 1_200;
    }
    // Uneven illumination plus a fixed grain (a hash, not random, so every run sees the same field).
    const shading = 500 * Math.sin(x / 170) * Math.cos(y / 230);
    const grain = ((x * 73_856_093) ^ (y * 19_349_663)) % 300;
    return Math.round(3_600 + shading + Math.abs(grain));
  };
  // A Uint16Array tells sharp the samples are 16-bit.
  const bytes = await sharp(greyImage(size, size, 16, value).data, {
    raw: { width: size, height: size, channels: 1 },
  })
    .toColourspace('grey16')
    .tiff({ compression: 'lzw' })
    .toBuffer();
  return { name: 'Plate1_B03_s1.tif', bytes };
}
