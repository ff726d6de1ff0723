// Where electron-builder leaves the unpacked app (`npm run dist -- --dir`), and how the smoke test
// asks it to quit. Pure apart from the existence check, so it is tested in plain Node.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** electron-builder's arch names, from Node's (process.arch). */
const builderArch = { x64: 'x64', arm64: 'arm64', ia32: 'ia32', arm: 'armv7l' };

/**
 * The folder electron-builder names for an unpacked app: its platform key, then the arch unless it
 * is x64 (the default arch), then "-unpacked" except on macOS (app-builder-lib's
 * PlatformPackager.computeAppOutDir).
 */
export function unpackedFolderName(platform, arch) {
  const key = { linux: 'linux', win32: 'win', darwin: 'mac' }[platform];
  const builder = builderArch[arch];
  if (!key || !builder) throw new Error(`MetaScope is not packaged for ${platform} on ${arch}.`);
  const suffix = builder === 'x64' ? '' : `-${builder}`;
  return platform === 'darwin' ? `${key}${suffix}` : `${key}${suffix}-unpacked`;
}

/**
 * The executable inside that folder: on Linux the package name in lower case, on Windows and macOS
 * the product name (app-builder-lib's LinuxPackager.executableName and AppInfo.productFilename).
 */
export function executableIn(folder, platform, names) {
  switch (platform) {
    case 'linux':
      return path.join(folder, names.packageName.toLowerCase());
    case 'win32':
      return path.join(folder, `${names.productName}.exe`);
    case 'darwin':
      return path.join(folder, `${names.productName}.app`, 'Contents', 'MacOS', names.productName);
    default:
      throw new Error(`MetaScope is not packaged for ${platform}.`);
  }
}

/** The names electron-builder builds from: package.json's name, electron-builder.yml's productName. */
export function appNames(root) {
  const yaml = createRequire(import.meta.url)('js-yaml');
  const config = yaml.load(readFileSync(path.join(root, 'electron-builder.yml'), 'utf8'));
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  return { packageName: pkg.name, productName: config.productName };
}

/** The unpacked app's executable in `installers`, or an Error that says how to build it. */
export function findPackagedApp(installers, platform, arch, names) {
  const executable = executableIn(path.join(installers, unpackedFolderName(platform, arch)), platform, names);
  if (existsSync(executable)) return executable;
  const there = existsSync(installers) ? readdirSync(installers).join(', ') || 'nothing' : 'no such folder';
  throw new Error(
    `No unpacked MetaScope at ${executable} (${installers} holds: ${there}). Build it with \`npm run dist -- --dir\` first.`,
  );
}

/**
 * How to ask the app to quit as a user would. On Linux and macOS, SIGTERM: Electron turns it into
 * app.quit() (electron_browser_main_parts_posix.cc). On Windows there are no signals: `taskkill`
 * without /F posts WM_CLOSE to the app's windows, as closing the window does.
 */
export function quitRequest(platform, pid) {
  return platform === 'win32' ? { command: 'taskkill', args: ['/PID', String(pid)] } : { signal: 'SIGTERM' };
}
