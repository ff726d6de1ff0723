#!/usr/bin/env node
// Draws resources/icon.png (512×512), the app icon electron-builder turns into each platform's
// format: a microscope's round field of view with a few stained cells, on a dark rounded tile.
// Run `node scripts/make-icon.js` after changing the drawing; the PNG is committed.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'resources', 'icon.png');

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512" viewBox="0 0 512 512">
  <defs>
    <linearGradient id="tile" x1="0" y1="0" x2="1" y2="1">
      <stop offset="0" stop-color="#16324a"/>
      <stop offset="1" stop-color="#0b1824"/>
    </linearGradient>
    <radialGradient id="field" cx="0.42" cy="0.38" r="0.7">
      <stop offset="0" stop-color="#f4fbff"/>
      <stop offset="0.75" stop-color="#cfe6f2"/>
      <stop offset="1" stop-color="#9cc3d8"/>
    </radialGradient>
    <clipPath id="view"><circle cx="256" cy="256" r="168"/></clipPath>
  </defs>
  <rect x="16" y="16" width="480" height="480" rx="108" fill="url(#tile)"/>
  <circle cx="256" cy="256" r="190" fill="none" stroke="#3fb5c9" stroke-width="14"/>
  <circle cx="256" cy="256" r="168" fill="url(#field)"/>
  <g clip-path="url(#view)">
    <g fill="#d2508a" fill-opacity="0.28" stroke="#b23a72" stroke-width="6">
      <ellipse cx="196" cy="206" rx="62" ry="50" transform="rotate(-20 196 206)"/>
      <ellipse cx="330" cy="300" rx="70" ry="54" transform="rotate(25 330 300)"/>
      <ellipse cx="214" cy="338" rx="44" ry="38"/>
      <ellipse cx="338" cy="168" rx="36" ry="30"/>
    </g>
    <g fill="#4b2a8c">
      <circle cx="204" cy="210" r="20"/>
      <circle cx="322" cy="296" r="23"/>
      <circle cx="216" cy="336" r="15"/>
      <circle cx="340" cy="170" r="12"/>
    </g>
  </g>
  <g stroke="#0b1824" stroke-opacity="0.35" stroke-width="3">
    <line x1="256" y1="100" x2="256" y2="140"/>
    <line x1="256" y1="372" x2="256" y2="412"/>
    <line x1="100" y1="256" x2="140" y2="256"/>
    <line x1="372" y1="256" x2="412" y2="256"/>
  </g>
</svg>`;

mkdirSync(path.dirname(out), { recursive: true });
await sharp(Buffer.from(svg)).png({ compressionLevel: 9, palette: true, quality: 90 }).toFile(out);
const meta = await sharp(out).metadata();
process.stdout.write(`Wrote ${path.relative(root, out)} (${meta.width}×${meta.height}).\n`);
