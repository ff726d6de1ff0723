import path from 'node:path';

/**
 * The app's own files, found from the folder of the compiled main process (dist/electron/main).
 * The layout is the same in the project and inside app.asar, since electron-builder.yml's `files`
 * keeps each path as it is; its test checks that every file named here is packed.
 */
export function appFiles(mainFolder: string) {
  const root = path.resolve(mainFolder, '..', '..', '..');
  return {
    preload: path.join(root, 'dist', 'electron', 'preload', 'sandboxed', 'index.js'),
    engine: path.join(root, 'dist', 'electron', 'engine-process', 'index.js'),
    renderer: path.join(root, 'dist', 'renderer'),
    rendererPage: path.join(root, 'dist', 'renderer', 'index.html'),
    icon: path.join(root, 'resources', 'icon.png'),
  };
}

/** The installed app's models: electron-builder.yml's extraResources put models/ beside app.asar. */
export function shippedModels(resourcesPath: string): string {
  return path.join(resourcesPath, 'models');
}
