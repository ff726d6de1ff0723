#!/usr/bin/env node
// Checks the fuses of a packaged MetaScope (after `npm run dist`) against electron-builder.yml's
// electronFuses: `node scripts/verify-fuses.js [path-to-app]`. Without a path it looks in
// dist/installers for the unpacked app of this platform. Exit 1 when any fuse is not as intended.
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// The byte states in the fuse wire ('1' and '0'); @electron/fuses 1.x does not export them.
const ENABLE = 0x31;
const DISABLE = 0x30;

/** electron-builder's electronFuses option → @electron/fuses' FuseV1Options name, and the intended state. */
export const intendedFuses = {
  runAsNode: { fuse: 'RunAsNode', enabled: false },
  enableCookieEncryption: { fuse: 'EnableCookieEncryption', enabled: true },
  enableNodeOptionsEnvironmentVariable: { fuse: 'EnableNodeOptionsEnvironmentVariable', enabled: false },
  enableNodeCliInspectArguments: { fuse: 'EnableNodeCliInspectArguments', enabled: false },
  enableEmbeddedAsarIntegrityValidation: { fuse: 'EnableEmbeddedAsarIntegrityValidation', enabled: true },
  onlyLoadAppFromAsar: { fuse: 'OnlyLoadAppFromAsar', enabled: true },
  grantFileProtocolExtraPrivileges: { fuse: 'GrantFileProtocolExtraPrivileges', enabled: false },
};

/** The packaged app electron-builder left in dist/installers for this platform, or null. */
export function findPackagedApp(dir = path.join(root, 'dist', 'installers')) {
  if (!existsSync(dir)) return null;
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (process.platform === 'darwin' && entry.startsWith('mac')) {
      const app = readdirSync(full).find((name) => name.endsWith('.app'));
      if (app) return path.join(full, app);
    }
    if (
      process.platform === 'win32' &&
      entry === 'win-unpacked' &&
      existsSync(path.join(full, 'MetaScope.exe'))
    )
      return path.join(full, 'MetaScope.exe');
    if (
      process.platform === 'linux' &&
      entry.startsWith('linux') &&
      entry.endsWith('unpacked') &&
      existsSync(path.join(full, 'metascope'))
    )
      return path.join(full, 'metascope');
  }
  return null;
}

async function main() {
  const app = process.argv[2] ? path.resolve(process.argv[2]) : findPackagedApp();
  if (!app || !existsSync(app)) {
    process.stderr.write('No packaged app found: run `npm run dist` first, or pass the path of the app.\n');
    return 1;
  }
  const fuses = createRequire(import.meta.url)('@electron/fuses');
  const wire = await fuses.getCurrentFuseWire(app);
  let wrong = 0;
  for (const [option, { fuse, enabled }] of Object.entries(intendedFuses)) {
    const state = wire[fuses.FuseV1Options[fuse]];
    const actual = state === ENABLE ? 'enabled' : state === DISABLE ? 'disabled' : `state ${state}`;
    const ok = actual === (enabled ? 'enabled' : 'disabled');
    if (!ok) wrong++;
    process.stdout.write(
      `${ok ? 'ok  ' : 'FAIL'} ${fuse} (${option}): ${actual}, intended ${enabled ? 'enabled' : 'disabled'}\n`,
    );
  }
  if (wrong > 0)
    process.stderr.write(`${wrong} fuse(s) of ${app} are not as electron-builder.yml intends.\n`);
  return wrong > 0 ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exit(await main());
}
