import { mkdir } from 'node:fs/promises';
import type { Store } from '../store/store.js';
import type { EngineEvents } from './events.js';
import type { SettingsFile } from './settings.js';

/**
 * First start: the inbox exists and is watched, so dropping captures into it just works. A home
 * folder that cannot hold it (read-only) costs the inbox, not the start; the next start tries again.
 */
export async function addInboxOnce(
  inbox: string,
  store: Store,
  settings: SettingsFile,
  events: EngineEvents,
): Promise<void> {
  if (settings.get().inboxAdded) return;
  try {
    await mkdir(inbox, { recursive: true });
    store.folders.add(inbox, { recursive: false });
    settings.update({ inboxAdded: true });
  } catch {
    // Node says ENOENT for a folder it cannot create on read-only media: the code would mislead.
    events.noticeBeforeStart(
      'warning',
      `The inbox ${inbox} cannot be created, so MetaScope runs without it: its folder may be read-only. Add a folder to watch, or set METASCOPE_INBOX to a folder you may write to.`,
    );
  }
}
