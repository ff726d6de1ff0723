/**
 * `npm run bench`: throughput, latency and memory of the classification pipeline against the
 * hardware's own limits and a Python peer, plus the store, the idle cost and whole fields whose cells
 * a detector finds. One table (or --json).
 *
 *   npm run bench -- [--json] [--quick] [--models default,resnet50,efficientnet-b0] [--kinds crop224,field8,field16]
 *                    [--providers cpu,webgpu] [--parts rows,store,intake,idle,fields]
 *                    [--fields FOLDER] [--field-count N] [--detector FOLDER]
 *
 * `fields` runs the default classifier with the detector (default models/detector) on synthetic
 * 1022×1024 16-bit phase-contrast fields, or on the first N fields of FOLDER, read where they lie.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCaptureInfo } from '../electron/core/capture/decode.js';
import { Analysis } from '../electron/core/cells/analysis.js';
import { Detector } from '../electron/core/cells/detector.js';
import { Classifier } from '../electron/core/model/classifier.js';
import { providerLabels, providerNames, type ProviderName } from '../electron/core/model/providers.js';
import { decodeSlots, threadPoolEnv } from '../electron/core/threads.js';
import { makeFixtures, type FixtureKind } from './fixtures.js';
import { measureDecodeOnly } from './measure/decode-only.js';
import { runEndToEnd, type EndToEnd } from './measure/end-to-end.js';
import {
  cropBatchSizes,
  fieldBatchOf,
  idealFieldsPerSecond,
  listFields,
  measureCropBatches,
  measureDetectorModel,
  measureFieldStages,
  type CropBatch,
  type FieldStages,
  type StageCost,
} from './measure/fields.js';
import { measureIdle } from './measure/idle.js';
import { measureIntakePass, type IntakePass } from './measure/intake-pass.js';
import { measureModelOnly, measureModelOnlyAt, type ModelOnly, type ModelOnlyRun } from './measure/model-only.js';
import { runPeer, type PeerResult } from './measure/peer.js';
import { measureScopeCost, type ScopeCost } from './measure/scope-cost.js';
import { percentile } from './measure/stats.js';
import { measureStore } from './measure/store.js';

type Store = Awaited<ReturnType<typeof measureStore>>;

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(benchDir);
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const json = flag('json');
const quick = flag('quick');
const log = (line: string) => process.stderr.write(`${line}\n`);

const modelFolders: Record<string, string> = {
  default: path.join(root, 'models', 'default'),
  resnet50: path.join(benchDir, 'models', 'resnet50'),
  'efficientnet-b0': path.join(benchDir, 'models', 'efficientnet-b0'),
};
const counts: Record<FixtureKind, number> = quick
  ? { crop224: 24, field8: 8, field16: 6, cells16: 6 }
  : { crop224: 96, field8: 64, field16: 48, cells16: 24 };
/** Decode-only, model-only (at its best batch size and threads) and end-to-end: each the best of this many runs. */
const tries = quick ? 1 : 3;

interface Row {
  model: string;
  kind: FixtureKind;
  /** Where the model was asked to run. */
  provider: ProviderName;
  /** Where the stored results say it ran. */
  ranOn: string[];
  modelOnly: number;
  /** CPU time of the best model-only run per image, ms (all threads): what the model alone costs the cores. */
  modelCpuMs: number;
  bestBatch: number;
  bestThreads: number;
  /** Median batch-1 inference, ms. */
  singleMs: number;
  decodeOnly: number;
  ideal: number;
  endToEnd: number;
  /** Every end-to-end run's rate, of which `endToEnd` is the best. */
  endToEndRuns: number[];
  /** The best run's rate counted from its first capture settled, the pipeline's fill included. */
  endToEndIncludingFill: number;
  /** CPU time of the whole engine process per capture in the best end-to-end run, ms (all cores). */
  cpuMsPerCapture: number;
  ofIdeal: number;
  ofModelOnly: number;
  peakRssMb: number;
  /** Share of the end-to-end run the engine's own JS thread was busy (event-loop utilisation). */
  engineThreadBusy: number;
  /** CPU ms per capture of the scope check measured alone; null for a model that states no scope. */
  scope: ScopeCost | null;
  latencyP50: number | null;
  latencyP95: number | null;
  peer: PeerResult;
  ofPeer: number | null;
}

function ensureBenchModels(wanted: string[]): void {
  const missing = wanted.filter((m) => m !== 'default' && !existsSync(path.join(modelFolders[m]!, 'model.json')));
  if (missing.length === 0) return;
  log(`Generating random-weight ${missing.join(', ')} (PyTorch, once)…`);
  const run = spawnSync('/usr/bin/python3', [path.join(benchDir, 'models', 'generate.py'), '--models', missing.join(',')], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (run.status !== 0) log(`Could not generate ${missing.join(', ')}: those rows are skipped.`);
}

/** The providers asked for that start on this machine, and why the others did not. */
async function providersThatStart(
  providers: ProviderName[],
  model: string | undefined,
): Promise<{ usable: ProviderName[]; unavailable: { provider: ProviderName; reason: string }[] }> {
  const usable: ProviderName[] = [];
  const unavailable: { provider: ProviderName; reason: string }[] = [];
  for (const provider of providers) {
    if (provider === 'cpu' || !model) {
      usable.push(provider);
      continue;
    }
    try {
      await (await Classifier.open(model, { provider })).close();
      usable.push(provider);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      log(`${provider}: cannot start here, its rows are skipped. ${reason}`);
      unavailable.push({ provider, reason });
    }
  }
  return { usable, unavailable };
}

/** Whole fields: the default classifier with a detector, on one provider. */
interface FieldRow {
  /** 'cells16 (synthetic)' or the folder the real fields were read from. */
  fields: string;
  count: number;
  provider: ProviderName;
  ranOn: string[];
  /** The detector measured: `id version (sha256 prefix)`. */
  detector: string;
  /** Other detectors the end-to-end results name (the folder changed during the run), by SHA-256 prefix. */
  otherDetectors: string[];
  /** The machine's 1-minute load average when this row started and ended: others' work on the same cores shows here. */
  loadAverage: [number, number];
  /** Cells found per field while preparing (one at a time), and as stored end to end. */
  cells: number[];
  storedCells: number[];
  /** The detector's network alone, one field per run. */
  detectorModel: StageCost;
  /** Decode, find, crops and the whole prepare step, one field at a time. */
  stages: FieldStages;
  /** The classifier alone at the batch sizes a field gives. */
  cropBatches: CropBatch[];
  /** The crop batch a median field gives, whose CPU time the ideal uses. */
  fieldBatch: number;
  ideal: number;
  endToEnd: number;
  endToEndRuns: number[];
  /** The best run's rate counted from its first field settled, the pipeline's fill included. */
  endToEndIncludingFill: number;
  ofIdeal: number;
  cpuMsPerField: number;
  /** Cores the engine kept busy in the best end-to-end run (its CPU ms per field × fields per second, fill included). */
  engineCores: number;
  peakRssMb: number;
  latencyP50: number;
  latencyP95: number;
  /** One field at a time: calls to the classifier per field, crops per call, and whether every call carried one whole field. */
  callsPerField: number;
  cropsPerCall: number;
  wholeFieldPerCall: boolean;
  /** The classifier graph's largest batch; null when its batch axis is free. */
  maxBatch: number | null;
}


async function flushToDisk(file: string): Promise<void> {
  const handle = await open(file, 'r+'); // Windows flushes only what it may write
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}


async function main(): Promise<void> {
  const wanted = option('models', 'default,resnet50,efficientnet-b0').split(',');
  const kinds = option('kinds', 'crop224,field8,field16').split(',') as FixtureKind[];
  const providers = option('providers', 'cpu').split(',') as ProviderName[];
  const parts = new Set(option('parts', 'rows,store,intake,idle,fields').split(','));
  const unknown = providers.filter((p) => !providerNames.includes(p));
  if (unknown.length > 0) throw new Error(`Unknown provider ${unknown.join(', ')}: choose from ${providerNames.join(', ')}.`);
  if (parts.has('rows')) ensureBenchModels(wanted);
  const { usable, unavailable } = await providersThatStart(providers, Object.values(modelFolders).find((f) => existsSync(path.join(f, 'model.json'))));
  // The best batch size and thread count do not depend on the input kind: chosen once per model and provider.
  const settings = new Map<string, Promise<ModelOnly>>();
  const settingOf = (folder: string, provider: ProviderName) => {
    const key = `${folder}|${provider}`;
    if (!settings.has(key)) settings.set(key, measureModelOnly(folder, quick ? 1.5 : 3, provider));
    return settings.get(key)!;
  };
  const work = await mkdtemp(path.join(tmpdir(), 'metascope-bench-'));
  const rows: Row[] = [];
  try {
    for (const kind of parts.has('rows') ? kinds : []) {
      const filesDir = path.join(work, 'files', kind);
      log(`Writing ${counts[kind]} ${kind} captures…`);
      const files = (await makeFixtures(filesDir, { kind, count: counts[kind] })).map((f) => f.path);
      // On disk before anything is timed: the kernel would otherwise write them back during a run.
      await Promise.all(files.map(flushToDisk));
      for (const model of wanted) {
        const folder = modelFolders[model];
        if (!folder || !existsSync(path.join(folder, 'model.json'))) {
          log(`${model}: no model at ${folder}, skipped.`);
          continue;
        }
        for (const provider of usable) {
          const label = `${model} × ${kind} on ${provider}`;
          log(`${label}: model only, choosing batch size and threads…`);
          const setting = await settingOf(folder, provider);
          const runDir = path.join(work, `${model}-${kind}-${provider}`);
          await mkdir(runDir, { recursive: true });
          const base = { model: folder, provider, settleMs: 300, batchSize: 8, decodeConcurrency: decodeSlots() };
          // The three stages take turns, so a slow spell of this shared machine falls on all alike.
          let decodeOnly = 0;
          let modelOnly: ModelOnlyRun = { rate: 0, cpuMsPerImage: Number.NaN };
          const runs: EndToEnd[] = [];
          for (let i = 0; i < tries; i++) {
            log(`${label}: decode only, model only, end to end (${i + 1} of ${tries})…`);
            decodeOnly = Math.max(decodeOnly, await measureDecodeOnly(folder, files));
            const measured = await measureModelOnlyAt(folder, setting, quick ? 1 : 2, provider);
            if (measured.rate > modelOnly.rate) modelOnly = measured;
            runs.push(runEndToEnd({ ...base, mode: 'throughput', files, workDir: path.join(runDir, `throughput-${i}`) }));
          }
          const ideal = 1 / (1 / modelOnly.rate + 1 / decodeOnly);
          const throughput = runs.reduce((best, run) => (run.rate > best.rate ? run : best));
          let latencyP50: number | null = null;
          let latencyP95: number | null = null;
          if (model === 'default') {
            log(`${label}: latency, one capture at a time…`);
            const single = runEndToEnd({ ...base, mode: 'latency', files: files.slice(0, quick ? 6 : 20), workDir: path.join(runDir, 'latency') });
            latencyP50 = percentile(single.latencies, 50);
            latencyP95 = percentile(single.latencies, 95);
          }
          log(`${label}: the scope check alone…`);
          const scope = provider === 'cpu' ? await measureScopeCost(folder, files, quick ? 0.5 : 2) : null;
          const peer: PeerResult =
            model === 'default'
              ? { skipped: 'the peer runs the paper architectures (same weights as ours); the default model has no PyTorch twin' }
              : provider !== 'cpu'
                ? { skipped: 'the peer is PyTorch on the CPU: compare it with the CPU row' }
                : (log(`${label}: Python peer…`), runPeer(benchDir, folder, filesDir, path.join(runDir, 'peer.sqlite')));
          rows.push({
            model,
            kind,
            provider,
            ranOn: throughput.ranOn,
            modelOnly: modelOnly.rate,
            modelCpuMs: modelOnly.cpuMsPerImage,
            bestBatch: setting.batch,
            bestThreads: setting.threads,
            singleMs: setting.singleMs,
            decodeOnly,
            ideal,
            endToEnd: throughput.rate,
            endToEndRuns: runs.map((run) => run.rate),
            endToEndIncludingFill: throughput.rateIncludingFill,
            cpuMsPerCapture: throughput.cpuMsPerCapture,
            ofIdeal: throughput.rate / ideal,
            ofModelOnly: throughput.rate / modelOnly.rate,
            peakRssMb: Math.max(...runs.map((run) => run.peakRssMb)),
            engineThreadBusy: throughput.engineThreadBusy,
            scope,
            latencyP50,
            latencyP95,
            peer,
            ofPeer: 'rate' in peer ? throughput.rate / peer.rate : null,
          });
        }
      }
    }
    const fieldRows: FieldRow[] = [];
    let fieldsSkipped: string | null = null;
    if (parts.has('fields')) {
      const detector = path.resolve(option('detector', path.join(root, 'models', 'detector')));
      if (!existsSync(path.join(detector, 'model.json'))) {
        fieldsSkipped = `no detector at ${detector} (train it: models/train/train_detector.py, or pass --detector FOLDER)`;
        log(`Fields: ${fieldsSkipped}; skipped.`);
      } else if (!existsSync(path.join(modelFolders.default!, 'model.json'))) {
        fieldsSkipped = `no default classifier at ${modelFolders.default}`;
        log(`Fields: ${fieldsSkipped}; skipped.`);
      } else {
        fieldRows.push(...(await measureFields(work, detector, usable)));
      }
    }
    let store: Store | null = null;
    if (parts.has('store')) {
      log('Store: 100,000 results…');
      store = await measureStore(path.join(work, 'store'));
    }
    let intakePass: IntakePass | null = null;
    if (parts.has('intake')) {
      const folderCaptures = quick ? 2_000 : 10_000;
      log(`Intake: one folder holding ${folderCaptures.toLocaleString('en')} captures…`);
      intakePass = await measureIntakePass(folderCaptures);
    }
    let idleCpuPercent: number | string | null = null;
    if (parts.has('idle')) {
      log('Idle: metascope watch on a quiet folder…');
      const cli = path.join(root, 'bin', 'metascope.cjs');
      const idleModel = existsSync(path.join(modelFolders.default!, 'model.json')) ? modelFolders.default! : modelFolders[wanted[0]!]!;
      idleCpuPercent = await measureIdle(cli, idleModel, quick ? 10 : 30);
    }
    const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}, thread pool ${process.env.UV_THREADPOOL_SIZE}`;
    const report = { machine, rows, store, intakePass, idleCpuPercent, unavailable, fieldRows, fieldsSkipped };
    if (json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    else printTable(report);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Whole fields on each provider: stages one field at a time, models alone, the ideal, end to end. */
async function measureFields(work: string, detectorFolder: string, providers: ProviderName[]): Promise<FieldRow[]> {
  const folder = option('fields', '');
  const count = Number(option('field-count', String(counts.cells16)));
  let files: string[];
  let label: string;
  if (folder) {
    // Real fields stay where they are: the end-to-end run links them, it never copies them.
    files = await listFields(path.resolve(folder), count);
    label = `${folder} (${files.length} real)`;
    if (files.length === 0) throw new Error(`No fields (.tif, .tiff, .png, .jpg) in ${folder}.`);
  } else {
    log(`Writing ${count} cells16 fields…`);
    files = (await makeFixtures(path.join(work, 'files', 'cells16'), { kind: 'cells16', count })).map((f) => f.path);
    await Promise.all(files.map(flushToDisk));
    label = `cells16 (${count} synthetic)`;
  }
  const classifierFolder = modelFolders.default!;
  const pipelineBatch = 8;
  const rows: FieldRow[] = [];
  for (const provider of providers) {
    const name = `fields on ${provider}`;
    const loadAtStart = loadavg()[0]!;
    // Sessions as the app opens them: every core's threads for each model.
    const classifier = await Classifier.open(classifierFolder, { provider });
    const detector = await Detector.open(detectorFolder, { provider });
    const analysis = new Analysis(classifier, detector, null);
    let stages: FieldStages;
    let cropBatches: CropBatch[];
    let detectorModel: StageCost;
    const { id, version, sha256 } = detector.identity;
    const detectorName = `${id} ${version} (${sha256.slice(0, 8)})`;
    try {
      log(`${name}: decode, detector and crops, one field at a time…`);
      stages = await measureFieldStages(analysis, files, quick ? 1 : 2);
      const size = await sizeOf(files[0]!);
      log(`${name}: the detector alone…`);
      detectorModel = await measureDetectorModel(detectorFolder, size, provider, quick ? 2 : 4);
      const batches = cropBatchSizes(stages.cells, pipelineBatch);
      log(`${name}: the classifier alone at ${batches.join(' and ')} crops a batch…`);
      cropBatches = await measureCropBatches(classifier, batches, quick ? 1 : 2);
    } finally {
      await Promise.all([classifier.close(), detector.close()]);
    }
    const fieldBatch = fieldBatchOf(stages.cells);
    const atField = cropBatches.find((b) => b.batch === fieldBatch)!;
    const ideal = idealFieldsPerSecond(availableParallelism(), stages.prepare.cpuMs, percentile(stages.cells, 50), atField.cropCpuMs);
    const runDir = path.join(work, `fields-${provider}`);
    await mkdir(runDir, { recursive: true });
    const base = {
      model: classifierFolder,
      detector: detectorFolder,
      analysis: 'find-cells' as const,
      provider,
      settleMs: 300,
      batchSize: pipelineBatch,
      decodeConcurrency: decodeSlots(),
    };
    const runs: EndToEnd[] = [];
    for (let i = 0; i < tries; i++) {
      log(`${name}: end to end (${i + 1} of ${tries})…`);
      runs.push(runEndToEnd({ ...base, mode: 'throughput', files, workDir: path.join(runDir, `throughput-${i}`) }));
    }
    const best = runs.reduce((a, b) => (b.rate > a.rate ? b : a));
    log(`${name}: settled → stored, one field at a time…`);
    const single = runEndToEnd({ ...base, mode: 'latency', files: files.slice(0, quick ? 4 : 8), workDir: path.join(runDir, 'latency') });
    const failed = Math.max(...runs.map((r) => r.failed), single.failed);
    if (failed > 0) log(`${name}: ${failed} field(s) failed end to end.`);
    const calls = single.classifierCalls;
    rows.push({
      fields: label,
      count: files.length,
      provider,
      ranOn: best.ranOn,
      detector: detectorName,
      otherDetectors: [...new Set([...runs, single].flatMap((r) => r.detectors))].filter((d) => d !== sha256).map((d) => d.slice(0, 8)),
      loadAverage: [loadAtStart, loadavg()[0]!],
      cells: stages.cells,
      storedCells: best.cellsPerCapture,
      detectorModel,
      stages,
      cropBatches,
      fieldBatch,
      ideal,
      endToEnd: best.rate,
      endToEndRuns: runs.map((r) => r.rate),
      endToEndIncludingFill: best.rateIncludingFill,
      ofIdeal: best.rate / ideal,
      cpuMsPerField: best.cpuMsPerCapture,
      // Its CPU is counted over the whole run, fill included: so is this rate.
      engineCores: (best.cpuMsPerCapture * best.rateIncludingFill) / 1000,
      peakRssMb: Math.max(...runs.map((r) => r.peakRssMb)),
      latencyP50: percentile(single.latencies, 50),
      latencyP95: percentile(single.latencies, 95),
      callsPerField: calls.length / single.latencies.length,
      cropsPerCall: percentile(calls, 50),
      wholeFieldPerCall: calls.length === single.cellsPerCapture.length && calls.every((n, i) => n === single.cellsPerCapture[i]),
      maxBatch: single.maxBatch,
    });
  }
  return rows;
}

async function sizeOf(file: string): Promise<{ width: number; height: number }> {
  const info = await readCaptureInfo(await readFile(file));
  return { width: info.width, height: info.height };
}

const f = (n: number | null, digits = 1) => (n === null || Number.isNaN(n) ? '–' : n.toFixed(digits));

function printTable(report: {
  machine: string;
  rows: Row[];
  store: Store | null;
  intakePass: IntakePass | null;
  idleCpuPercent: number | string | null;
  unavailable: { provider: ProviderName; reason: string }[];
  fieldRows: FieldRow[];
  fieldsSkipped: string | null;
}): void {
  const header = ['model', 'input', 'ran on', 'model-only/s', 'b1 ms', 'decode-only/s', 'ideal/s', 'end-to-end/s', '÷ideal', '÷model', 'peer/s', 'ours÷peer', 'p50 ms', 'p95 ms', 'peak MB', 'engine thread', 'model cpu ms', 'cpu ms', 'scope cpu ms'];
  const lines = report.rows.map((r) => [
    r.model,
    r.kind,
    r.ranOn.join('+') || '–',
    `${f(r.modelOnly)} (b${r.bestBatch},t${r.bestThreads})`,
    f(r.singleMs, 2),
    f(r.decodeOnly),
    f(r.ideal),
    f(r.endToEnd),
    f(r.ofIdeal, 2),
    f(r.ofModelOnly, 2),
    'rate' in r.peer ? f(r.peer.rate) : 'skipped',
    f(r.ofPeer, 2),
    f(r.latencyP50, 0),
    f(r.latencyP95, 0),
    f(r.peakRssMb, 0),
    `${f(r.engineThreadBusy * 100, 0)}%`,
    f(r.modelCpuMs),
    f(r.cpuMsPerCapture),
    r.scope ? `${f(r.scope.totalMs, 2)} (${f((100 * r.scope.totalMs) / r.cpuMsPerCapture, 1)}%)` : '–',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const show = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(`MetaScope benchmark — ${report.machine}`);
  if (lines.length > 0) {
    console.log(show(header));
    console.log(widths.map((w) => '─'.repeat(w)).join('  '));
    lines.forEach((l) => console.log(show(l)));
  }
  for (const r of report.rows) if (!('rate' in r.peer)) console.log(`peer skipped for ${r.model} × ${r.kind} on ${r.provider}: ${r.peer.skipped}`);
  const s = report.store;
  if (s) {
    console.log(
      `Store at ${s.results.toLocaleString('en')} results: history page p50 ${f(s.pageP50, 1)} ms, p95 ${f(s.pageP95, 1)} ms; insert ${f(s.insertRate, 0)} results/s`,
    );
  }
  const p = report.intakePass;
  if (p) {
    console.log(
      `Intake, one folder holding ${p.captures.toLocaleString('en')} captures: a new capture's pass ${f(p.namedPassMs, 1)} ms CPU; full listing (start, every 30 s) ${f(p.fullPassMs, 0)} ms CPU`,
    );
  }
  const idle = report.idleCpuPercent;
  if (idle !== null) {
    console.log(`Idle: metascope watch on a quiet folder used ${typeof idle === 'number' ? `${f(idle, 2)}% of one core` : idle}`);
  }
  printFields(report.fieldRows, report.fieldsSkipped);
  const gpuRows = report.rows.filter((r) => r.provider !== 'cpu');
  for (const provider of new Set(gpuRows.map((r) => r.provider))) {
    const stored = new Set(gpuRows.filter((r) => r.provider === provider).flatMap((r) => r.ranOn));
    console.log(`${providerLabels[provider]}: its results were stored as run on ${[...stored].join(', ')}.`);
  }
  for (const { provider, reason } of report.unavailable) console.log(`${providerLabels[provider]}: not measured. ${reason}`);
  if (gpuRows.length === 0 && report.unavailable.length === 0) {
    console.log('GPU: not measured (CPU rows only). On a machine with a graphics card: npm run bench -- --providers cpu,webgpu');
  }
}

/** The whole-field table: where a field's time goes, the models alone, the ideal and end to end. */
function printFields(rows: FieldRow[], skipped: string | null): void {
  if (skipped) console.log(`Whole fields: not measured, ${skipped}.`);
  if (rows.length === 0) return;
  const span = (values: number[]) => `${f(percentile(values, 50), 0)} (${Math.min(...values)}–${Math.max(...values)})`;
  const both = (c: StageCost) => `${f(c.ms, 0)} / ${f(c.cpuMs, 0)}`;
  const header = ['fields', 'ran on', 'cells/field', 'detector model ms', 'decode ms', 'find ms', 'crops ms', 'prepare ms', 'classifier ms/crop', 'crop cpu ms', 'ideal/s', 'end-to-end/s', '÷ideal', 'p50 ms', 'p95 ms', 'calls/field', 'peak MB', 'cpu ms', 'engine cores'];
  const lines = rows.map((r) => [
    r.fields,
    r.ranOn.join('+') || '–',
    span(r.cells),
    both(r.detectorModel),
    both(r.stages.decode),
    both(r.stages.find),
    both(r.stages.crops),
    both(r.stages.prepare),
    r.cropBatches.map((b) => `b${b.batch} ${f(b.cropMs, 2)}`).join(', '),
    r.cropBatches.map((b) => f(b.cropCpuMs, 2)).join(', '),
    f(r.ideal, 2),
    f(r.endToEnd, 2),
    f(r.ofIdeal, 2),
    f(r.latencyP50, 0),
    f(r.latencyP95, 0),
    `${f(r.callsPerField, 1)} (${f(r.cropsPerCall, 0)} crops)`,
    f(r.peakRssMb, 0),
    f(r.cpuMsPerField, 0),
    f(r.engineCores, 2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const show = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log('Whole fields (default classifier + detector, folder set to find cells); stage columns are wall ms / CPU ms per field, one field at a time');
  console.log(show(header));
  console.log(widths.map((w) => '─'.repeat(w)).join('  '));
  lines.forEach((l) => console.log(show(l)));
  for (const r of rows) {
    const stored = r.storedCells.length > 0 ? span(r.storedCells) : '–';
    if (r.otherDetectors.length > 0) console.log(`WARNING: the detector folder changed during the run; end to end also ran ${r.otherDetectors.join(', ')}.`);
    console.log(
      `${r.fields} on ${r.provider}, detector ${r.detector}, load average ${f(r.loadAverage[0], 1)} → ${f(r.loadAverage[1], 1)}: cells stored end to end ${stored}; one field at a time, ${r.wholeFieldPerCall ? 'every classifier call carried one whole field' : 'the classifier calls did NOT match the fields one to one'} (${r.maxBatch === null ? 'the graph takes any batch size' : `the graph's largest batch is ${r.maxBatch}`}); end-to-end runs ${r.endToEndRuns.map((x) => f(x, 2)).join(', ')}/s (the best counted from its first field settled, fill included: ${f(r.endToEndIncludingFill, 2)}/s).`,
    );
  }
}

// Decode-only runs in this process, so its thread pool must have the size the app gives its engine.
// Node sizes the pool before this module's first line runs: the bench starts itself again with it.
const poolEnv = threadPoolEnv();
if (process.env.UV_THREADPOOL_SIZE === poolEnv.UV_THREADPOOL_SIZE) await main();
else process.exitCode = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env: poolEnv }).status ?? 1;
