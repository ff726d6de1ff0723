#!/usr/bin/env node
// better-sqlite3 for Electron, kept beside Node's own. `npm install` builds the addon for the Node
// that ran it (the CLI and the tests use that one); Electron has its own native interface, and
// rebuilding node_modules for it would break the CLI and the tests. So a second build is made for
// Electron under dist/electron-sqlite/<os>-<arch>/ and the desktop app loads it through
// better-sqlite3's `nativeBinding` option: `npm start` makes it on first run, electron-builder
// (hook `beforePack`) makes it for each installer and ships it as resources/native/.
// `node scripts/electron-sqlite.js` (npm run rebuild:electron) makes it again on demand.
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const addonName = 'better_sqlite3.node';
/** electron-builder's `${os}` names, used in electron-builder.yml's extraResources. */
const osNames = { linux: 'linux', darwin: 'mac', win32: 'win' };

/** Where the Electron build for a platform and architecture lives, and the record of what it was built for. */
export function electronSqlitePlace(root, platform, arch) {
  const folder = path.join(root, 'dist', 'electron-sqlite', `${osNames[platform] ?? platform}-${arch}`);
  return { folder, addon: path.join(folder, addonName), record: path.join(folder, 'built-for.json') };
}

/**
 * Why the Electron build has to be made, as words for the progress line, or null when the one
 * there fits. `wanted` and `found.record`: { electron, betterSqlite3, platform, arch }.
 */
export function electronSqliteNeeded(wanted, found) {
  if (!found.addonExists) return 'it is not built yet';
  const record = found.record;
  if (!record) return 'the record of what it was built for is missing';
  if (record.electron !== wanted.electron) return `it was built for Electron ${record.electron}`;
  if (record.betterSqlite3 !== wanted.betterSqlite3)
    return `it was built from better-sqlite3 ${record.betterSqlite3}`;
  if (record.platform !== wanted.platform || record.arch !== wanted.arch)
    return `it was built for ${record.platform}-${record.arch}`;
  return null;
}

/** What is there now at `place` (see electronSqlitePlace). */
export function readElectronSqlite(place) {
  let record = null;
  try {
    record = JSON.parse(readFileSync(place.record, 'utf8'));
  } catch {
    // Absent or unreadable: electronSqliteNeeded says so.
  }
  return { addonExists: existsSync(place.addon), record };
}

function packageFolder(root, name) {
  return path.dirname(createRequire(path.join(root, 'package.json')).resolve(`${name}/package.json`));
}

/** The versions this project's install holds. */
export function installedVersions(root) {
  const version = (name) =>
    JSON.parse(readFileSync(path.join(packageFolder(root, name), 'package.json'), 'utf8')).version;
  return { electron: version('electron'), betterSqlite3: version('better-sqlite3') };
}

/** @electron/rebuild, which electron-builder brings (it is what electron-builder itself rebuilds with). */
async function loadRebuild(root) {
  for (const folder of [() => root, () => packageFolder(root, 'app-builder-lib')]) {
    try {
      const entry = createRequire(path.join(folder(), 'package.json')).resolve('@electron/rebuild');
      return (await import(pathToFileURL(entry).href)).rebuild;
    } catch {
      // Try the next place.
    }
  }
  throw new Error('@electron/rebuild is not installed (it comes with electron-builder): run `npm install`.');
}

/**
 * Builds better-sqlite3 for Electron into its place: a copy of the package is rebuilt by
 * @electron/rebuild (a ready-made build from better-sqlite3's releases when one exists, else
 * compiled against Electron's headers), so node_modules/better-sqlite3 stays Node's.
 * `say` receives progress lines; `rebuild` stands in for @electron/rebuild's in tests.
 */
export async function buildElectronSqlite({ root, electron, platform, arch, say, rebuild }) {
  const versions = { ...installedVersions(root), electron };
  const place = electronSqlitePlace(root, platform, arch);
  const source = packageFolder(root, 'better-sqlite3');
  // Inside the project, so @electron/rebuild finds prebuild-install in node_modules above it.
  const staging = `${place.folder}.building-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  cpSync(source, staging, {
    recursive: true,
    filter: (file) => path.relative(source, file).split(path.sep)[0] !== 'build',
  });
  const started = Date.now();
  const heartbeat = setInterval(
    () => say(`  still building (${Math.round((Date.now() - started) / 1000)} s)…`),
    15_000,
  );
  try {
    await (rebuild ?? (await loadRebuild(root)))({
      buildPath: staging,
      projectRootPath: staging,
      onlyModules: [],
      electronVersion: electron,
      platform,
      arch,
      force: true,
      mode: 'sequential',
      disablePreGypCopy: true,
    });
    mkdirSync(place.folder, { recursive: true });
    // Copied then renamed, so an interrupted build never leaves a half-written addon in place.
    copyFileSync(path.join(staging, 'build', 'Release', addonName), `${place.addon}.part`);
    renameSync(`${place.addon}.part`, place.addon);
    writeFileSync(place.record, `${JSON.stringify({ ...versions, platform, arch }, null, 2)}\n`);
  } finally {
    clearInterval(heartbeat);
    rmSync(staging, { recursive: true, force: true });
  }
  say(`  done in ${Math.round((Date.now() - started) / 1000)} s: ${path.relative(root, place.addon)}`);
  return place;
}

/** The sentence for a build that failed, with what usually causes it. */
export function buildFailure(error) {
  const detail = String(error instanceof Error ? error.message : error).split('\n')[0];
  return `The database library could not be built for Electron (${detail}); it needs internet access to github.com for a ready-made build, or else Python and a C++ compiler (on Windows, Visual Studio Build Tools) to compile one — see README, "First start".`;
}

/**
 * Makes the Electron build for `platform`/`arch` unless the one there fits; returns its place.
 * `force` makes it again regardless.
 */
export async function ensureElectronSqlite({ root, electron, platform, arch, say, rebuild, force = false }) {
  const place = electronSqlitePlace(root, platform, arch);
  const wanted = { ...installedVersions(root), electron, platform, arch };
  const why = force ? 'a new build was asked for' : electronSqliteNeeded(wanted, readElectronSqlite(place));
  if (!why) return place;
  say(
    `Building the database library (better-sqlite3 ${wanted.betterSqlite3}) for Electron ${electron} on ${platform}-${arch}, because ${why}; this happens once and can take a few minutes…`,
  );
  return buildElectronSqlite({ root, electron, platform, arch, say, rebuild });
}

/** electron-builder hook: the Electron build for the platform and architecture being packed. */
export async function beforePack(context) {
  const { Arch } = createRequire(import.meta.url)('electron-builder');
  const platform = context.electronPlatformName === 'mas' ? 'darwin' : context.electronPlatformName;
  try {
    await ensureElectronSqlite({
      root: context.packager.projectDir,
      electron: context.packager.info.framework.version,
      platform,
      arch: Arch[context.arch],
      say: (line) => process.stdout.write(`  • ${line}\n`),
    });
  } catch (error) {
    throw new Error(buildFailure(error), { cause: error });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await ensureElectronSqlite({
      root: projectRoot,
      electron: installedVersions(projectRoot).electron,
      platform: process.platform,
      arch: process.arch,
      say: (line) => process.stdout.write(`${line}\n`),
      force: true,
    });
  } catch (error) {
    process.stderr.write(`${buildFailure(error)}\n`);
    process.exit(1);
  }
}
