import path from 'node:path';
import type { EngineHandlers } from '../../../contract/api.js';
import { ContractError } from '../../../contract/messages.js';
import type { EngineContext } from '../context.js';
import { folderOf } from '../rows.js';

/** Watched folders: added, changed and removed through the intake when it runs, else in the store. */
export function folderRequests({ store, classification, inbox }: EngineContext) {
  const intake = () => classification.intakeIfRunning();
  return {
    'folders.list': () => store.folders.list().map((f) => folderOf(f, inbox)),
    'folders.add': ({ path: folderPath, recursive }) => {
      const resolved = path.resolve(folderPath);
      const added = intake()?.addFolder(resolved, recursive) ?? store.folders.add(resolved, { recursive });
      return folderOf(added, inbox);
    },
    'folders.update': ({ id, ...changes }) => {
      const running = intake();
      const updated = running ? running.updateFolder(id, changes) : store.folders.update(id, changes);
      if (!updated) throw new ContractError('not-found', 'That folder is no longer watched.');
      return folderOf(updated, inbox);
    },
    'folders.remove': ({ id }) => {
      const running = intake();
      return { removed: running ? running.removeFolder(id) : (store.folders.remove(id), true) };
    },
    'pipeline.pause': () => {
      classification.requireIntake().pause();
      return classification.progress();
    },
    'pipeline.resume': () => {
      classification.requireIntake().resume();
      return classification.progress();
    },
  } satisfies Partial<EngineHandlers>;
}
