import type { NoticeAction } from '$contract/types.js';
import { app } from './app.svelte.js';
import { ask } from './ask.svelte.js';
import { notices, type Notice } from './notices.svelte.js';

/** The button a notice's action gets, and what the list says once it was taken. */
export const actionText: Record<NoticeAction['kind'], { button: string; done: string }> = {
  'make-recursive': { button: 'Watch subfolders too', done: 'Done: its subfolders are watched now.' },
};

/** Does what the notice offers; a refusal is a notice of its own, and this one stays. */
export async function act(notice: Notice): Promise<void> {
  const action = notice.action;
  if (!action) return;
  switch (action.kind) {
    case 'make-recursive': {
      const folder = await ask('folders.update', { id: action.folderId, recursive: true });
      if (!folder) return;
      app.folders = app.folders.map((f) => (f.id === folder.id ? folder : f));
      notices.resolve(notice.id);
    }
  }
}
