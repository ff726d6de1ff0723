#!/usr/bin/env node
// The CLI is compiled by `npm install` (the prepare script); this shim only points at it.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const entry = fileURLToPath(new URL('../dist/electron/cli/index.js', import.meta.url));
if (!existsSync(entry)) {
  process.stderr.write('MetaScope is not built yet: run `npm install` (or `npm run build`) in its folder first.\n');
  process.exit(2);
}
await import(pathToFileURL(entry).href);
