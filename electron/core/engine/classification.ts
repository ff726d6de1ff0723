import path from 'node:path';
import { ContractError } from '../../contract/messages.js';
import type { AppStatus, Progress } from '../../contract/types.js';
import { Analysis } from '../cells/analysis.js';
import type { Detector } from '../cells/detector.js';
import { openDetector } from '../cells/open-detector.js';
import type { CaptureSink, SinkHooks } from '../intake/sink.js';
import { Intake, type IntakeListener } from '../intake/service.js';
import { Classifier } from '../model/classifier.js';
import { providerLabels } from '../model/providers.js';
import { appVersion, defaultModelFolder } from '../paths.js';
import type { Store } from '../store/store.js';
import { isBuiltIn, knownModels, summaryOf, type KnownModel } from './models.js';
import type { SettingsFile } from './settings.js';

export interface ClassificationOptions {
  store: Store;
  settings: SettingsFile;
  /** A model folder given on the command line, over the saved choice. */
  modelFolder?: string;
  detectorFolder?: string;
  settleMs?: number;
  listener: IntakeListener;
  /** Where captures go instead of this computer's model (a facility's workers), asked at each start of the intake. */
  sink?: () => ((hooks: SinkHooks) => CaptureSink) | undefined;
}

const idleProgress: Progress = {
  queued: 0,
  inFlight: 0,
  done: 0,
  failed: 0,
  rate: 0,
  etaSeconds: null,
  paused: false,
};

/**
 * The model at work: the active classifier, the cell finder, and the intake that feeds them. A model
 * that cannot be loaded leaves the engine running without an intake, with the reason kept to show.
 */
export class Classification {
  private classifier: Classifier | null = null;
  private detector: Detector | null = null;
  private detectorProblem: string | null = null;
  private modelProblem: string | null = null;
  private intake: Intake | null = null;

  constructor(private readonly options: ClassificationOptions) {}

  async start(): Promise<void> {
    const { settings } = this.options;
    // Without a cell finder single cells are still classified; whole fields fail with the reason.
    ({ detector: this.detector, problem: this.detectorProblem } = await openDetector(
      this.options.detectorFolder,
      { provider: settings.get().provider },
      { required: false },
    ));
    try {
      await this.open(await this.chooseModelFolder());
    } catch (error) {
      this.modelProblem = (error as Error).message;
    }
    await this.startIntake();
  }

  get active(): Classifier | null {
    return this.classifier;
  }

  /** The intake, or the reason nothing can be classified yet. */
  requireIntake(): Intake {
    if (!this.intake)
      throw new ContractError(
        'no-model',
        this.modelProblem ?? 'No model is loaded, so nothing can be classified yet.',
      );
    return this.intake;
  }

  /** Another classifier with the engine's cell finder, e.g. a second model re-running captures. */
  analysisWith(classifier: Classifier): Analysis {
    return new Analysis(classifier, this.detector, this.detectorProblem);
  }

  intakeIfRunning(): Intake | null {
    return this.intake;
  }

  progress(): Progress {
    const p = this.intake?.progress() ?? idleProgress;
    return { ...p, queued: p.queued + this.options.store.captures.queued() };
  }

  /** Built from the loaded classifier: listing every model would re-hash each ONNX file on every call. */
  status(): Omit<AppStatus, 'version' | 'mode' | 'dataFolder' | 'database' | 'inbox' | 'history'> {
    const { classifier } = this;
    const active: KnownModel | null = classifier
      ? {
          folder: path.resolve(classifier.folder),
          manifest: classifier.manifest,
          builtIn: isBuiltIn(classifier.folder),
        }
      : null;
    return {
      model: active ? summaryOf(active, classifier!.identity) : null,
      modelProblem: this.modelProblem,
      provider: classifier?.provider ?? null,
      providerLabel: classifier ? providerLabels[classifier.provider] : null,
      skippedProviders: classifier?.skipped ?? [],
      progress: this.progress(),
    };
  }

  /** Loads the model in `folder` and hands it to the intake; starts the intake if there was none. */
  async activate(folder: string): Promise<void> {
    await this.open(folder);
    await this.startIntake();
  }

  /** The active model again, with the saved processor and threshold. */
  async reload(): Promise<void> {
    if (this.classifier) await this.open(this.classifier.folder);
  }

  setBatchSize(size: number): void {
    this.intake?.setBatchSize(size);
  }

  async close(): Promise<void> {
    await this.intake?.stop();
    await this.classifier?.close();
    await this.detector?.close();
  }

  private async open(folder: string): Promise<void> {
    const { store, settings } = this.options;
    const saved = settings.get();
    const next = await Classifier.open(folder, {
      provider: saved.provider,
      threshold: saved.threshold ?? undefined,
    });
    store.models.register({ ...next.identity, classes: next.manifest.classes, folder: path.resolve(folder) });
    const previous = this.classifier;
    this.classifier = next;
    this.modelProblem = null;
    // The old model is closed once it has finished the captures it had started, never under them.
    const finished = this.intake
      ? this.intake.setAnalysis(new Analysis(next, this.detector, this.detectorProblem))
      : Promise.resolve();
    if (previous) void finished.then(() => previous.close());
  }

  private async chooseModelFolder(): Promise<string> {
    if (this.options.modelFolder) return this.options.modelFolder;
    const saved = this.options.settings.get().activeModel;
    if (saved) {
      const match = (await knownModels(this.options.store)).find(
        (m) => m.manifest.id === saved.id && m.manifest.version === saved.version,
      );
      if (match) return match.folder;
    }
    return defaultModelFolder();
  }

  private async startIntake(): Promise<void> {
    if (!this.classifier || this.intake) return;
    const { store, settings, settleMs, listener } = this.options;
    this.intake = new Intake(
      {
        store,
        analysis: new Analysis(this.classifier, this.detector, this.detectorProblem),
        appVersion: appVersion(),
        settleMs,
        batchSize: settings.get().batchSize,
        sink: this.options.sink?.(),
      },
      listener,
    );
    await this.intake.start();
  }

  /** Stops the intake and starts it again, e.g. to send captures to a facility or classify them here again. */
  async restartIntake(): Promise<void> {
    const running = this.intake;
    this.intake = null;
    await running?.stop();
    await this.startIntake();
  }
}
