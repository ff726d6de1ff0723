import type { EngineHandlers } from '../../../contract/api.js';
import { ContractError } from '../../../contract/messages.js';
import { plateOf } from '../../cells/plate.js';
import { wilsonInterval } from '../../evaluate/wilson.js';
import { machineTimeZone, resultsCsv } from '../../export/results-csv.js';
import { localDate } from '../../time/zone.js';
import { failureFilter, folderIds, rowsOf, storeFilter, type EngineContext } from '../context.js';
import { rowOfFailure } from '../rows.js';

const fractionNeedsClass = () =>
  new ContractError('invalid-request', 'Sorting by the share of a class needs that class (fractionClass) in the filter.');

/** A share with its 95 % Wilson interval; a count of none is no share (0 of 0 never reaches here). */
const share = (count: number, total: number) => {
  const interval = wilsonInterval(count, total)!;
  return { fraction: count / total, low: interval.low, high: interval.high };
};

/** The sentence for what only a workstation's own history has: its failures, its folders, its plates. */
const onlyLocal = (what: string) =>
  new ContractError(
    'invalid-request',
    `${what} are each workstation’s own: switch Settings back to this workstation’s history to see them.`,
  );

/** Browsing past results: pages, charts, the CSV and the plate map, from whichever history is shown. */
export function historyRequests({ store, history, classification }: EngineContext) {
  const local = () => history.store.scope === 'workstation';
  return {
    'history.query': async ({ filter, sort, offset, limit }) => {
      if (filter.status === 'failed') {
        if (!local()) throw onlyLocal('Files that could not be classified');
        const failed = store.failures.page(failureFilter(filter), sort.direction, { offset, limit });
        const folderIdOf = folderIds(store);
        return { rows: failed.rows.map((f) => rowOfFailure(f, folderIdOf)), total: failed.total };
      }
      if (sort.key === 'fraction' && filter.fractionClass === undefined) throw fractionNeedsClass();
      const page = await history.store.page(storeFilter(filter), sort, { offset, limit });
      return { rows: page.rows.map(rowsOf(store)), total: page.total };
    },
    'history.stats': async ({ filter, timeZone = machineTimeZone() }) => {
      // A failure is counted in no class and has no probability: nothing to chart.
      if (filter.status === 'failed')
        return { classCounts: [], histogram: [], classes: [], fractions: [], folderShares: [] };
      // What the model could not judge is no class: left out of counts and charts unless asked for.
      const f = { ...storeFilter(filter), inScope: filter.inScope ?? true };
      const shown = history.store;
      const [counts, bins, fractions] = await Promise.all([
        shown.classCounts(f, 'day', timeZone),
        shown.histogram(f, 20),
        shown.classFractions(f, 'day', timeZone),
      ]);
      const day = (start: number) => localDate(start, timeZone);
      return {
        classCounts: counts.map((c) => ({ day: day(c.start), class: c.className, count: c.count })),
        histogram: bins.map((count, i) => ({ from: i / bins.length, to: (i + 1) / bins.length, count })),
        classes: [...new Set(counts.map((c) => c.className))].sort(),
        fractions: fractions.map((c) => ({ day: day(c.start), class: c.className, fraction: c.fraction, fields: c.fields })),
        // Folders are this workstation's own: a facility's history has none to share out.
        folderShares: (local() ? store.figures.folderShares(f) : []).map(({ folderId, className, count, total }) => ({
          folderId,
          class: className,
          count,
          total,
          ...share(count, total),
        })),
      };
    },
    'history.agreement': async ({ filter }) => {
      if (filter.status === 'failed') return { byClass: [], byFolder: [] };
      const f = storeFilter(filter);
      return {
        byClass: (await history.store.agreementByClass(f)).map(({ className, reviewed, agreed }) => ({
          class: className,
          reviewed,
          agreed,
          ...share(agreed, reviewed),
        })),
        byFolder: (local() ? store.figures.agreementByFolder(f) : []).map(({ folderId, reviewed, agreed }) => ({
          folderId,
          reviewed,
          agreed,
          ...share(agreed, reviewed),
        })),
      };
    },
    'history.exportCsv': async ({ filter, cells, sort, timeZone = machineTimeZone() }) => {
      if (sort.key === 'fraction' && filter.fractionClass === undefined) throw fractionNeedsClass();
      if (filter.status === 'failed') {
        if (!local()) throw onlyLocal('Files that could not be classified');
        return resultsCsv(store.failures.export(failureFilter(filter)), store.models.list(), { timeZone });
      }
      const shown = history.store;
      const { rows, cellsOf } = await shown.exportRows(storeFilter(filter), sort, cells);
      return resultsCsv(rows, await shown.modelClasses(), { cellsOf, timeZone });
    },
    'history.places': () => history.store.places(),
    'history.plate': ({ folderId, className }) => {
      if (!local()) throw onlyLocal('Plates, read from watched folders,');
      if (!store.folders.get(folderId))
        throw new ContractError('not-found', 'That folder is no longer watched.');
      const modelId = classification.active?.identity.id;
      const plate = plateOf(modelId ? store.history.placedResults(folderId, modelId) : [], className);
      return { ...plate, wells: plate.wells.map(({ name, ...well }) => ({ well: name, ...well })) };
    },
  } satisfies Partial<EngineHandlers>;
}
