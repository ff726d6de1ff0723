import sharp from 'sharp';
import { estimateText, type Evaluation } from './evaluation.js';
import { rocCurveArea } from './metrics.js';

/**
 * The evaluation's two plots as standalone SVG: both are the unit square, so they share one frame
 * (grid, ticks, labels, the diagonal as reference). No chart library: a few dozen elements.
 */

const width = 560;
const left = 80;
const top = 80;
const side = 400;
const legendTop = top + side + 76;
// Okabe–Ito: tells curves apart for colour-blind readers too.
const palette = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];

const x = (v: number): number => left + v * side;
const y = (v: number): number => top + (1 - v) * side;
const num = (v: number): string => String(Math.round(v * 100) / 100);
const escape = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

interface LegendItem {
  label: string;
  colour: string;
  shape: 'line' | 'dashed' | 'box' | 'dot';
}

interface Frame {
  title: string;
  subtitle: string;
  xLabel: string;
  yLabel: string;
  body: string[];
  legend: LegendItem[];
}

function legendSymbol(item: LegendItem, at: number, row: number): string {
  switch (item.shape) {
    case 'box':
      return `<rect x="${at}" y="${row - 6}" width="22" height="12" fill="${item.colour}" fill-opacity="0.55" stroke="${item.colour}"/>`;
    case 'dot':
      return `<circle cx="${at + 11}" cy="${row}" r="4" fill="${item.colour}"/>`;
    default:
      return `<line x1="${at}" y1="${row}" x2="${at + 22}" y2="${row}" stroke="${item.colour}" stroke-width="2"${item.shape === 'dashed' ? ' stroke-dasharray="5 4"' : ''}/>`;
  }
}

/** Below the plot, so it never hides data; wraps into rows (text widths are estimated). */
function legend(items: LegendItem[]): { elements: string[]; bottom: number } {
  const rows: { item: LegendItem; width: number }[][] = [[]];
  let used = 0;
  for (const item of items) {
    const itemWidth = 30 + item.label.length * 6.6 + 22;
    if (used > 0 && used + itemWidth > width - 40) {
      rows.push([]);
      used = 0;
    }
    rows.at(-1)!.push({ item, width: itemWidth });
    used += itemWidth;
  }
  const elements = rows.flatMap((row, r) => {
    const rowY = legendTop + r * 22;
    let at = (width - row.reduce((sum, i) => sum + i.width, 0) + 22) / 2;
    return row.flatMap(({ item, width: itemWidth }) => {
      const symbol = legendSymbol(item, at, rowY);
      const text = `<text x="${at + 30}" y="${rowY + 4}">${escape(item.label)}</text>`;
      at += itemWidth;
      return [symbol, text];
    });
  });
  return { elements, bottom: legendTop + (rows.length - 1) * 22 + 20 };
}

function frame(f: Frame): string {
  const ticks = [0, 0.2, 0.4, 0.6, 0.8, 1];
  const grid = ticks.flatMap((t) => [
    `<line x1="${x(t)}" y1="${y(0)}" x2="${x(t)}" y2="${y(1)}" stroke="#e4e4e4"/>`,
    `<line x1="${x(0)}" y1="${y(t)}" x2="${x(1)}" y2="${y(t)}" stroke="#e4e4e4"/>`,
    `<text x="${x(t)}" y="${y(0) + 20}" text-anchor="middle">${t.toFixed(1)}</text>`,
    `<text x="${x(0) - 8}" y="${y(t) + 4}" text-anchor="end">${t.toFixed(1)}</text>`,
  ]);
  const key = legend(f.legend);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${key.bottom}" viewBox="0 0 ${width} ${key.bottom}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12" fill="#222">`,
    `<rect width="${width}" height="${key.bottom}" fill="#fff"/>`,
    `<text x="${width / 2}" y="32" text-anchor="middle" font-size="17" font-weight="bold">${escape(f.title)}</text>`,
    `<text x="${width / 2}" y="54" text-anchor="middle" fill="#555">${escape(f.subtitle)}</text>`,
    ...grid,
    `<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}" stroke="#888" stroke-dasharray="5 4"/>`,
    ...f.body,
    `<rect x="${x(0)}" y="${y(1)}" width="${side}" height="${side}" fill="none" stroke="#222"/>`,
    `<text x="${x(0.5)}" y="${y(0) + 46}" text-anchor="middle" font-size="13">${escape(f.xLabel)}</text>`,
    `<text transform="translate(${x(0) - 48} ${y(0.5)}) rotate(-90)" text-anchor="middle" font-size="13">${escape(f.yLabel)}</text>`,
    ...key.elements,
    '</svg>',
    '',
  ].join('\n');
}

export function rocSvg(evaluation: Evaluation): string {
  const { classes, roc, perClass } = evaluation;
  const binary = classes.length === 2;
  const curves = roc.map((curve, i) => ({
    ...curve,
    colour: palette[i % palette.length]!,
    polyline: curve.points
      .map((p) => `${num(x(p.falsePositiveRate))},${num(y(p.truePositiveRate))}`)
      .join(' '),
  }));
  const counts = classes.map((name) => `${name} (n = ${perClass[name]!.n})`);
  return frame({
    title: `ROC curve, AUC ${estimateText(evaluation.auc)}`,
    subtitle: binary
      ? `positive class ${counts[1]} against ${counts[0]}`
      : `each class against the rest; AUC is their mean`,
    xLabel: `False positive rate (1 − specificity)`,
    yLabel: `True positive rate (sensitivity)`,
    body: curves.map(
      (c) => `<polyline points="${c.polyline}" fill="none" stroke="${c.colour}" stroke-width="2.2"/>`,
    ),
    legend: [
      ...curves.map((c) => ({
        label: binary ? `p(${c.positive})` : `${c.positive}: AUC ${rocCurveArea(c.points).toFixed(3)}`,
        colour: c.colour,
        shape: 'line' as const,
      })),
      { label: 'chance', colour: '#888', shape: 'dashed' },
    ],
  });
}

export function reliabilitySvg(evaluation: Evaluation): string {
  const bins = evaluation.reliability.filter((b) => b.n > 0);
  const body = bins.flatMap((b) => [
    `<rect class="bin" x="${num(x(b.low) + 1)}" y="${num(y(b.accuracy!))}" width="${num(x(b.high) - x(b.low) - 2)}" height="${num(y(0) - y(b.accuracy!))}" fill="${palette[0]}" fill-opacity="0.55" stroke="${palette[0]}"/>`,
    `<circle cx="${num(x(b.meanConfidence!))}" cy="${num(y(b.accuracy!))}" r="3.5" fill="${palette[1]}"/>`,
    `<text x="${num(x((b.low + b.high) / 2))}" y="${num(y(b.accuracy!) - 9)}" text-anchor="middle" font-size="10" fill="#555">${b.n}</text>`,
  ]);
  return frame({
    title: `Reliability diagram, ECE ${estimateText(evaluation.ece)}`,
    subtitle: `${evaluation.reliability.length} equal-width bins, ${evaluation.n} captures (number above each bar)`,
    xLabel: 'Probability of the predicted class',
    yLabel: 'Share predicted correctly',
    body,
    legend: [
      { label: 'bin accuracy', colour: palette[0]!, shape: 'box' },
      { label: 'bin mean probability', colour: palette[1]!, shape: 'dot' },
      { label: 'perfect calibration', colour: '#888', shape: 'dashed' },
    ],
  });
}

/** Renders an SVG at twice its size, sharp rasterising it with librsvg. */
export const svgToPng = (svg: string): Promise<Buffer> =>
  sharp(Buffer.from(svg), { density: 144 }).png().toBuffer();
