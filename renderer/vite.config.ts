import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

export default defineConfig({
  root: here('.'),
  // Relative asset paths: the desktop app loads the page from its own protocol, browser mode from /.
  base: './',
  plugins: [svelte({ configFile: false })],
  // The one way into the rest of the repository: the contract (see renderer/tsconfig.json paths).
  resolve: { alias: { $contract: here('../electron/contract') } },
  build: {
    outDir: here('../dist/renderer'),
    emptyOutDir: true,
    target: 'es2023',
    chunkSizeWarningLimit: 1000,
  },
});
