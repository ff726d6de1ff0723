// Runs Electronegativity's CLI. Its package uses `commander` without declaring it (it relied on an
// old hoisted copy); ours is a newer major without the API it calls, so give it the version it
// was written for, installed under another name, and leave every other package's resolution alone.
const Module = require('node:module');
const path = require('node:path');

const cliPackage = path.dirname(require.resolve('@doyensec/electronegativity/package.json'));
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  if (request === 'commander' && parent && parent.filename && parent.filename.startsWith(cliPackage)) {
    return resolve.call(this, 'electronegativity-commander', parent, ...rest);
  }
  return resolve.call(this, request, parent, ...rest);
};
const manifest = require('@doyensec/electronegativity/package.json');
const bin = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin.electronegativity;
require(path.join(cliPackage, bin));
