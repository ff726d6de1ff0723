import { readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * A model folder's MODEL_CARD.md as plain blocks the app lays out itself: no HTML ever comes from a
 * model folder, so a card cannot run anything. Markdown beyond headings, paragraphs, lists, tables,
 * code blocks, **bold** and `code` shows as its text.
 */
export interface Span {
  text: string;
  strong: boolean;
  code: boolean;
}

export type CardBlock =
  | { kind: 'heading'; level: number; text: string }
  | { kind: 'paragraph'; spans: Span[] }
  | { kind: 'list'; items: Span[][] }
  | { kind: 'table'; header: Span[][]; rows: Span[][][] }
  | { kind: 'code'; text: string };

/** A number the model's own measurement (metrics.json) gives, with its interval. */
export interface MeasuredMetric {
  name: string;
  value: number;
  low: number | null;
  high: number | null;
}

export interface ModelCard {
  blocks: CardBlock[];
  measured: MeasuredMetric[];
}

/** `**bold**`, `` `code` `` and `[text](link)` (kept as its text: the app opens no links from a card). */
export function spansOf(line: string): Span[] {
  const spans: Span[] = [];
  const pattern = /\*\*(.+?)\*\*|`([^`]+)`|\[([^\]]+)\]\([^)]*\)/g;
  let at = 0;
  const plain = (text: string) => text && spans.push({ text, strong: false, code: false });
  for (const match of line.matchAll(pattern)) {
    plain(line.slice(at, match.index));
    if (match[1] !== undefined) spans.push(...spansOf(match[1]).map((s) => ({ ...s, strong: true })));
    else if (match[2] !== undefined) spans.push({ text: match[2], strong: false, code: true });
    else plain(match[3]!);
    at = match.index + match[0].length;
  }
  plain(line.slice(at));
  return spans;
}

const cellsOf = (row: string): string[] =>
  row
    .trim()
    .replace(/^\||\|$/g, '')
    .split('|')
    .map((cell) => cell.trim());

const isRule = (row: string) => /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/.test(row);

export function parseCard(markdown: string): CardBlock[] {
  const lines = markdown.split(/\r?\n/);
  const blocks: CardBlock[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (!line.trim()) {
      i++;
    } else if (heading) {
      blocks.push({ kind: 'heading', level: heading[1]!.length, text: heading[2]!.trim() });
      i++;
    } else if (line.startsWith('```')) {
      const end = lines.findIndex((l, j) => j > i && l.startsWith('```'));
      const last = end === -1 ? lines.length : end;
      blocks.push({ kind: 'code', text: lines.slice(i + 1, last).join('\n') });
      i = last + 1;
    } else if (line.trimStart().startsWith('|') && isRule(lines[i + 1] ?? '')) {
      const header = cellsOf(line).map(spansOf);
      const rows: Span[][][] = [];
      for (i += 2; i < lines.length && lines[i]!.trimStart().startsWith('|'); i++)
        rows.push(cellsOf(lines[i]!).map(spansOf));
      blocks.push({ kind: 'table', header, rows });
    } else if (/^\s*([-*]|\d+\.)\s+/.test(line)) {
      const items: string[] = [];
      for (; i < lines.length && lines[i]!.trim(); i++) {
        const item = /^\s*(?:[-*]|\d+\.)\s+(.*)$/.exec(lines[i]!);
        // A line that starts no item continues the one before it.
        if (item) items.push(item[1]!);
        else items[items.length - 1] += ` ${lines[i]!.trim()}`;
      }
      blocks.push({ kind: 'list', items: items.map(spansOf) });
    } else {
      const text: string[] = [];
      for (; i < lines.length && lines[i]!.trim() && !/^(#|```|\s*([-*]|\d+\.)\s|\s*\|)/.test(lines[i]!); i++)
        text.push(lines[i]!.trim());
      blocks.push({ kind: 'paragraph', spans: spansOf(text.join(' ')) });
    }
  }
  return blocks;
}

interface MetricJson {
  value?: unknown;
  ci95?: unknown;
}

/** Every `{ value, ci95 }` under a `metrics` object of metrics.json, named by its key. */
export function measuredOf(json: unknown): MeasuredMetric[] {
  const found: MeasuredMetric[] = [];
  const visit = (node: unknown) => {
    if (typeof node !== 'object' || node === null) return;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'metrics' && typeof value === 'object' && value !== null) {
        for (const [name, metric] of Object.entries(value as Record<string, MetricJson>)) {
          if (typeof metric?.value !== 'number') continue;
          const ci =
            Array.isArray(metric.ci95) && metric.ci95.length === 2 ? (metric.ci95 as number[]) : null;
          found.push({
            name: name.replaceAll('_', ' '),
            value: metric.value,
            low: ci?.[0] ?? null,
            high: ci?.[1] ?? null,
          });
        }
      } else visit(value);
    }
  };
  visit(json);
  return found;
}

/** The card beside a model, or null when its folder has none (or is gone). */
export async function readModelCard(folder: string): Promise<ModelCard | null> {
  const markdown = await readFile(path.join(folder, 'MODEL_CARD.md'), 'utf8').catch(() => null);
  if (markdown === null) return null;
  const metrics = await readFile(path.join(folder, 'metrics.json'), 'utf8')
    .then((text) => JSON.parse(text) as unknown)
    .catch(() => null);
  return { blocks: parseCard(markdown), measured: measuredOf(metrics) };
}
