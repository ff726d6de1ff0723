import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MenuItemConstructorOptions } from 'electron';

const shown = vi.hoisted(() => ({ inFolder: [] as string[] }));

// The menu as its template: Menu.buildFromTemplate hands it back, and clicks are called directly.
vi.mock('electron', () => ({
  app: { getVersion: () => '1.2.3', showAboutPanel: () => {} },
  Menu: { buildFromTemplate: (template: MenuItemConstructorOptions[]) => template },
  shell: {
    openPath: async () => '',
    showItemInFolder: (file: string) => shown.inFolder.push(file),
  },
}));

const { buildMenu } = await import('./menu.js');

function helpItems(): MenuItemConstructorOptions[] {
  const template = buildMenu({ inbox: '/inbox', devTools: false }) as unknown as MenuItemConstructorOptions[];
  const help = template.find((item) => item.role === 'help');
  return (help?.submenu ?? []) as MenuItemConstructorOptions[];
}

describe('the Help menu', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('shows the log file in its folder, in the data folder MetaScope uses', () => {
    vi.stubEnv('METASCOPE_DATA', path.join('/lab', 'MetaScope data'));
    const item = helpItems().find((i) => i.label === 'Show Log File');
    expect(item).toBeDefined();
    item?.click?.(undefined as never, undefined, undefined as never);
    expect(shown.inFolder).toEqual([path.join('/lab', 'MetaScope data', 'logs', 'main.log')]);
  });
});
