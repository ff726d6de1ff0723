import { app } from './app.svelte.js';

// Okabe–Ito: told apart by people with colour-vision deficiency, readable on white.
const palette = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#56B4E9', '#E69F00', '#7A5195', '#6B6B6B'];
/** Classes no active model knows (older models' results) take the next colour, once. */
const others = new Map<string, string>();

/** One colour per class, the same on every screen: by its place in the active model, else by first sight. */
export function classColor(name: string | null | undefined): string {
  if (!name) return '#9AA3AE';
  const classes = app.status?.model?.classes ?? [];
  const index = classes.indexOf(name);
  if (index >= 0) return palette[index % palette.length] as string;
  let colour = others.get(name);
  if (!colour) {
    colour = palette[(classes.length + others.size) % palette.length] as string;
    others.set(name, colour);
  }
  return colour;
}
