import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder that holds package.json and models/, found from wherever this file was compiled to. */
export function appRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'metascope') return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('MetaScope cannot find its own installation folder (package.json).');
    dir = parent;
  }
}

export function appVersion(): string {
  return JSON.parse(readFileSync(path.join(appRoot(), 'package.json'), 'utf8')).version as string;
}

/** The shipped models; METASCOPE_MODELS points elsewhere (the installed app's resources). */
export function modelsFolder(): string {
  return process.env.METASCOPE_MODELS ?? path.join(appRoot(), 'models');
}

export function defaultModelFolder(): string {
  return path.join(modelsFolder(), 'default');
}

/** The shipped cell finder, used to find the cells of whole fields. */
export function defaultDetectorFolder(): string {
  return path.join(modelsFolder(), 'detector');
}

/**
 * A folder named in the environment, as an absolute path: a relative one is taken from the folder
 * MetaScope was started in, as a shell would (Electron's app.setPath refuses relative paths).
 */
function folderFromEnvironment(name: 'METASCOPE_DATA' | 'METASCOPE_INBOX'): string | null {
  const value = process.env[name]?.trim();
  return value ? path.resolve(value) : null;
}

/** Where the database and thumbnail cache live: METASCOPE_DATA, else the platform's usual place. */
export function dataFolder(): string {
  const chosen = folderFromEnvironment('METASCOPE_DATA');
  if (chosen) return chosen;
  const home = homedir();
  switch (process.platform) {
    case 'win32':
      return path.join(process.env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'MetaScope');
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', 'MetaScope');
    default:
      return path.join(process.env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'MetaScope');
  }
}

export function defaultDatabase(): string {
  return path.join(dataFolder(), 'metascope.db');
}

/** The folder watched on first start, so dropping captures into it just works. */
export function defaultInbox(): string {
  return folderFromEnvironment('METASCOPE_INBOX') ?? path.join(homedir(), 'MetaScope Inbox');
}
