import type { InstalledModel, ModelRef, RerunProgress } from '$contract/types.js';
import { ask } from './ask.svelte.js';
import { engine } from './engine.js';

/** One string per model file, as the engine keys them. */
export const keyOf = (m: ModelRef): string => `${m.id}@${m.version}@${m.sha256}`;
export const refOf = (m: ModelRef): ModelRef => ({ id: m.id, version: m.version, sha256: m.sha256 });
export const labelOf = (m: Pick<InstalledModel, 'name' | 'version'>): string => `${m.name} ${m.version}`;

/** The Models list, the re-run going on (or last finished), and the two models the comparison shows. */
class ModelsState {
  list = $state.raw<InstalledModel[]>([]);
  rerun = $state.raw<RerunProgress | null>(null);
  /** Keys of the models compared: A (usually the active one) and B. */
  compareA = $state<string | null>(null);
  compareB = $state<string | null>(null);

  constructor() {
    engine.api.on('rerun.progress', (progress) => {
      this.rerun = progress;
      // A finished re-run is what a person compares next.
      if (progress.state !== 'running') {
        this.compareB = keyOf(progress.model);
        void this.load();
      }
    });
  }

  async load(): Promise<void> {
    this.list = (await ask('models.list', {})) ?? this.list;
    // By default the active model (when it has results) against another model that has results.
    const withResults = this.list.filter((m) => m.results > 0);
    const first = withResults.find((m) => m.active) ?? withResults[0];
    this.compareA ??= first ? keyOf(first) : null;
    const other = withResults.find((m) => keyOf(m) !== this.compareA);
    this.compareB ??= other ? keyOf(other) : null;
  }

  byKey(key: string | null): InstalledModel | undefined {
    return this.list.find((m) => keyOf(m) === key);
  }
}

export const models = new ModelsState();
