import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { evaluate } from './evaluation.js';
import type { Scored } from './metrics.js';
import { reliabilitySvg, rocSvg, svgToPng } from './plots.js';

const binary = (truth: number, p: number): Scored => ({
  truth,
  predicted: p >= 0.5 ? 1 : 0,
  probabilities: [1 - p, p],
});
const samples = [
  binary(0, 0.1),
  binary(0, 0.4),
  binary(0, 0.8),
  binary(1, 0.4),
  binary(1, 0.9),
  binary(1, 0.95),
];
// A class name that needs escaping in XML.
const evaluation = evaluate(samples, ['dim', 'bright <&>'], { resamples: 200 });

describe('plots', () => {
  it('ROC: AUC and interval in the title, the curve from (0, 0) to (1, 1), the diagonal', () => {
    const svg = rocSvg(evaluation);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toMatch(
      /<text[^>]*font-weight="bold">ROC curve, AUC 0\.833 \[\d\.\d{3}, \d\.\d{3}\]<\/text>/,
    );
    expect(svg).toContain('bright &lt;&amp;&gt; (n = 3) against dim (n = 3)');
    expect(svg).not.toContain('<&>');
    // The plot is 400 px square from (80, 80): (0, 0) is at (80, 480), (1, 1) at (480, 80).
    const curve = /<polyline points="([^"]+)"/.exec(svg)![1]!.split(' ');
    expect(curve[0]).toBe('80,480');
    expect(curve.at(-1)).toBe('480,80');
    expect(curve).toHaveLength(evaluation.roc[0]!.points.length);
    expect(svg).toContain('<line x1="80" y1="480" x2="480" y2="80" stroke="#888" stroke-dasharray="5 4"/>');
    expect(svg).toContain('False positive rate');
    expect(svg).toContain('True positive rate');
  });

  it('ROC for more classes: a curve per class against the rest', () => {
    const three = evaluate(
      [
        { truth: 0, predicted: 0, probabilities: [0.8, 0.1, 0.1] },
        { truth: 1, predicted: 1, probabilities: [0.1, 0.8, 0.1] },
        { truth: 2, predicted: 0, probabilities: [0.5, 0.1, 0.4] },
      ],
      ['a', 'b', 'c'],
      { resamples: 20 },
    );
    const svg = rocSvg(three);
    expect(svg.match(/<polyline/g)).toHaveLength(3);
    expect(svg).toContain('c: AUC 1.000');
  });

  it('reliability: ECE in the title, a bar per filled bin', () => {
    const svg = reliabilitySvg(evaluation);
    expect(svg).toMatch(/Reliability diagram, ECE \d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\]/);
    const filled = evaluation.reliability.filter((b) => b.n > 0).length;
    expect(svg.match(/<rect class="bin"/g)).toHaveLength(filled);
    expect(svg).toContain('Probability of the predicted class');
  });

  it('renders to a PNG at twice the size', async () => {
    const png = await svgToPng(rocSvg(evaluation));
    const meta = await sharp(png).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBe(1120);
  });
});
