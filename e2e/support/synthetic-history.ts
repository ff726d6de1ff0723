import { requests, type RequestHandlers, type RequestName } from '../../electron/contract/api.js';
import { dispatch, type EventMessage } from '../../electron/contract/messages.js';
import type { CaptureRow } from '../../electron/contract/types.js';
import type { EngineHost } from '../../electron/serve/engine-host.js';

const model = { id: 'synthetic', version: '1.0.0', sha256: 'c'.repeat(64) };
const classes = ['HEK293A', 'HT1080'];

/** Row `i` of a made-up history, newest first: the same every time it is asked for. */
export function syntheticRow(i: number): CaptureRow {
  const probability = 0.5 + ((i * 7919) % 500) / 1000;
  const name = classes[i % 2] as string;
  return {
    sha256: (i + 1).toString(16).padStart(64, '0'),
    fileName: `capture-${String(i).padStart(6, '0')}.tif`,
    paths: [`/data/capture-${i}.tif`],
    folderId: null,
    state: 'done',
    failureReason: null,
    width: 1024,
    height: 1024,
    bitDepth: 16,
    pages: 1,
    class: name,
    finalLabel: name,
    probability,
    probabilities: { [name]: probability, [classes[(i + 1) % 2] as string]: 1 - probability },
    provider: 'cpu',
    model,
    durationMs: 20,
    classifiedAt: new Date(Date.UTC(2025, 0, 1) - i * 60_000).toISOString(),
    analysis: 'one-cell',
    summary: null,
    scope: { inScope: true, score: null, threshold: null, method: 'none', reason: null },
    uncertain: false,
    review: null,
  };
}

/**
 * An engine holding `total` results and nothing else, counting the history pages asked for: enough
 * to see that History stays light with a lab's years of captures.
 */
export function syntheticHistoryHost(total: number): EngineHost & { pagesAsked: number } {
  const status = requests['app.status'].output.parse({
    version: '0.0.0',
    mode: 'browser',
    dataFolder: '/data',
    database: '/data/metascope.db',
    inbox: '/inbox',
    model: null,
    modelProblem: null,
    provider: null,
    providerLabel: null,
    skippedProviders: [],
    progress: { queued: 0, inFlight: 0, done: 0, failed: 0, rate: 0, etaSeconds: null, paused: false },
    history: { scope: 'workstation', facility: null, sendsCaptures: false },
  });
  const handlers: Partial<RequestHandlers<RequestName>> = {
    'app.status': () => status,
    'folders.list': () => [],
    'captures.recent': () => [],
    'settings.get': () => ({ threshold: null, provider: 'auto', batchSize: 8, reviewerName: null, facility: null }),
    'history.places': () => ({ workstations: [], microscopes: [] }),
    'reviews.queue': () => ({ rows: [], total: 0 }),
    'models.list': () => [],
    'history.stats': () => ({ classCounts: [], histogram: [], classes, fractions: [], folderShares: [] }),
    'history.agreement': () => ({ byClass: [], byFolder: [] }),
    'history.query': ({ offset, limit }) => {
      host.pagesAsked++;
      const rows = Array.from({ length: Math.max(0, Math.min(limit, total - offset)) }, (_, k) =>
        syntheticRow(offset + k),
      );
      return { rows, total };
    },
  };
  const host = {
    pagesAsked: 0,
    request: async (message: Parameters<EngineHost['request']>[0]) => (await dispatch(handlers, message))!,
    image: () => Promise.reject(Object.assign(new Error('No pictures here.'), { code: 'not-found' })),
    onEvent: (_listener: (message: EventMessage) => void) => () => {},
    close: async () => {},
  };
  return host;
}
