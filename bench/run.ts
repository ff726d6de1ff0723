/**
 * `npm run bench`: throughput, latency and memory of the classification pipeline against the
 * hardware's own limits and a Python peer, plus the store and the idle cost. One table (or --json).
 *
 *   npm run bench -- [--json] [--quick] [--models default,resnet50,efficientnet-b0] [--kinds crop224,field8,field16]
 *                    [--providers cpu,webgpu] [--parts rows,store,intake,idle]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Classifier } from '../electron/core/model/classifier.js';
import { providerLabels, providerNames, type ProviderName } from '../electron/core/model/providers.js';
import { decodeSlots, threadPoolEnv } from '../electron/core/threads.js';
import { makeFixtures, type FixtureKind } from './fixtures.js';
import { measureDecodeOnly } from './measure/decode-only.js';
import type { EndToEndRequest } from './measure/end-to-end-child.js';
import { measureIdle } from './measure/idle.js';
import { measureIntakePass, type IntakePass } from './measure/intake-pass.js';
import { measureModelOnly, measureModelOnlyAt, type ModelOnly, type ModelOnlyRun } from './measure/model-only.js';
import { runPeer, type PeerResult } from './measure/peer.js';
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
  ? { crop224: 24, field8: 8, field16: 6 }
  : { crop224: 96, field8: 64, field16: 48 };
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

interface EndToEnd {
  rate: number;
  rateIncludingFill: number;
  latencies: number[];
  peakRssMb: number;
  engineThreadBusy: number;
  cpuMsPerCapture: number;
  failed: number;
  ranOn: string[];
}

async function flushToDisk(file: string): Promise<void> {
  const handle = await open(file, 'r+'); // Windows flushes only what it may write
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function endToEnd(request: EndToEndRequest): EndToEnd {
  const child = path.join(benchDir, 'measure', 'end-to-end-child.ts');
  // It inherits this process's thread pool size, the app's (below).
  const run = spawnSync(process.execPath, ['--import', 'tsx', child, JSON.stringify(request)], {
    encoding: 'utf8',
    cwd: root,
    timeout: 20 * 60_000,
  });
  const last = run.stdout.trim().split('\n').at(-1);
  if (run.status !== 0 || !last) throw new Error(`end-to-end run failed: ${run.stderr.trim().split('\n').slice(-3).join(' ')}`);
  return JSON.parse(last);
}

async function main(): Promise<void> {
  const wanted = option('models', 'default,resnet50,efficientnet-b0').split(',');
  const kinds = option('kinds', 'crop224,field8,field16').split(',') as FixtureKind[];
  const providers = option('providers', 'cpu').split(',') as ProviderName[];
  const parts = new Set(option('parts', 'rows,store,intake,idle').split(','));
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
            runs.push(endToEnd({ ...base, mode: 'throughput', files, workDir: path.join(runDir, `throughput-${i}`) }));
          }
          const ideal = 1 / (1 / modelOnly.rate + 1 / decodeOnly);
          const throughput = runs.reduce((best, run) => (run.rate > best.rate ? run : best));
          let latencyP50: number | null = null;
          let latencyP95: number | null = null;
          if (model === 'default') {
            log(`${label}: latency, one capture at a time…`);
            const single = endToEnd({ ...base, mode: 'latency', files: files.slice(0, quick ? 6 : 20), workDir: path.join(runDir, 'latency') });
            latencyP50 = percentile(single.latencies, 50);
            latencyP95 = percentile(single.latencies, 95);
          }
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
            latencyP50,
            latencyP95,
            peer,
            ofPeer: 'rate' in peer ? throughput.rate / peer.rate : null,
          });
        }
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
    const report = { machine, rows, store, intakePass, idleCpuPercent, unavailable };
    if (json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    else printTable(report);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

const f = (n: number | null, digits = 1) => (n === null || Number.isNaN(n) ? '–' : n.toFixed(digits));

function printTable(report: {
  machine: string;
  rows: Row[];
  store: Store | null;
  intakePass: IntakePass | null;
  idleCpuPercent: number | string | null;
  unavailable: { provider: ProviderName; reason: string }[];
}): void {
  const header = ['model', 'input', 'ran on', 'model-only/s', 'b1 ms', 'decode-only/s', 'ideal/s', 'end-to-end/s', '÷ideal', '÷model', 'peer/s', 'ours÷peer', 'p50 ms', 'p95 ms', 'peak MB', 'engine thread', 'model cpu ms', 'cpu ms'];
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
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const show = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(`MetaScope benchmark — ${report.machine}`);
  console.log(show(header));
  console.log(widths.map((w) => '─'.repeat(w)).join('  '));
  lines.forEach((l) => console.log(show(l)));
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

// Decode-only runs in this process, so its thread pool must have the size the app gives its engine.
// Node sizes the pool before this module's first line runs: the bench starts itself again with it.
const poolEnv = threadPoolEnv();
if (process.env.UV_THREADPOOL_SIZE === poolEnv.UV_THREADPOOL_SIZE) await main();
else process.exitCode = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env: poolEnv }).status ?? 1;
