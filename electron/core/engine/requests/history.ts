import type { EngineHandlers } from '../../../contract/api.js';
import { ContractError } from '../../../contract/messages.js';
import { plateOf } from '../../cells/plate.js';
import { resultsCsv } from '../../export/results-csv.js';
import { reviewedCells } from '../../export/reviewed-cells.js';
import { failureFilter, folderIds, storeFilter, type EngineContext } from '../context.js';
import { rowOfFailure, rowOfResult } from '../rows.js';

/** Browsing past results: pages, charts, the CSV and the plate map. */
export function historyRequests({ store, classification }: EngineContext) {
  return {
    'history.query': ({ filter, sort, offset, limit }) => {
      if (filter.status === 'failed') {
        const failed = store.failures.page(failureFilter(filter), sort.direction, { offset, limit });
        const folderIdOf = folderIds(store);
        return { rows: failed.rows.map((f) => rowOfFailure(f, folderIdOf)), total: failed.total };
      }
      if (sort.key === 'fraction' && filter.fractionClass === undefined) {
        throw new ContractError(
          'invalid-request',
          'Sorting by the share of a class needs that class (fractionClass) in the filter.',
        );
      }
      const page = store.history.page(storeFilter(filter), sort, { offset, limit });
      const folderIdOf = folderIds(store);
      return { rows: page.rows.map((row) => rowOfResult(row, folderIdOf)), total: page.total };
    },
    'history.stats': ({ filter }) => {
      // A failure is counted in no class and has no probability: nothing to chart.
      if (filter.status === 'failed') return { classCounts: [], histogram: [], classes: [], fractions: [] };
      // What the model could not judge is no class: left out of counts and charts unless asked for.
      const f = { ...storeFilter(filter), inScope: filter.inScope ?? true };
      const utcOffsetMinutes = -new Date().getTimezoneOffset();
      const counts = store.history.classCounts(f, 'day', utcOffsetMinutes);
      const bins = store.history.histogram(f, 20);
      // A local day starts at local midnight, which east of Greenwich is still the day before in UTC:
      // the label is the local date, read from that instant shifted back by the same offset.
      const localDate = (start: number) =>
        new Date(start + utcOffsetMinutes * 60_000).toISOString().slice(0, 10);
      const fractions = store.history.classFractions(f, 'day', utcOffsetMinutes);
      return {
        classCounts: counts.map((c) => ({ day: localDate(c.start), class: c.className, count: c.count })),
        histogram: bins.map((count, i) => ({ from: i / bins.length, to: (i + 1) / bins.length, count })),
        classes: [...new Set(counts.map((c) => c.className))].sort(),
        fractions: fractions.map((c) => ({
          day: localDate(c.start),
          class: c.className,
          fraction: c.fraction,
          fields: c.fields,
        })),
      };
    },
    'history.exportCsv': ({ filter, cells }) =>
      resultsCsv(
        filter.status === 'failed'
          ? store.failures.export(failureFilter(filter))
          : store.history.export(storeFilter(filter)),
        store.models.list(),
        cells ? reviewedCells(store) : undefined,
      ),
    'history.plate': ({ folderId, className }) => {
      if (!store.folders.get(folderId))
        throw new ContractError('not-found', 'That folder is no longer watched.');
      const modelId = classification.active?.identity.id;
      const plate = plateOf(modelId ? store.history.placedResults(folderId, modelId) : [], className);
      return { ...plate, wells: plate.wells.map(({ name, ...well }) => ({ well: name, ...well })) };
    },
  } satisfies Partial<EngineHandlers>;
}
