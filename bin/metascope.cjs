#!/usr/bin/env node
// The CLI is compiled by `npm install` (the prepare script). This shim sizes libuv's thread pool,
// where captures are decoded, before anything starts it, then loads the CLI. It is CommonJS because
// Node reads an ES-module program through that pool, and a started pool keeps its size.
'use strict';
const { existsSync } = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const built = path.join(__dirname, '..', 'dist', 'electron');
const entry = path.join(built, 'cli', 'index.js');
if (!existsSync(entry)) {
  process.stderr.write('MetaScope is not built yet: run `npm install` (or `npm run build`) in its folder first.\n');
  process.exit(2);
}
const { threadPoolEnv } = require(path.join(built, 'core', 'threads.js'));
process.env.UV_THREADPOOL_SIZE = threadPoolEnv().UV_THREADPOOL_SIZE;
import(pathToFileURL(entry).href);
