import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCard, readModelCard, spansOf } from './model-card.js';

const plain = (text: string) => ({ text, strong: false, code: false });

describe('model card', () => {
  it('reads headings, paragraphs, lists, tables and code, with bold and code spans and links as text', () => {
    const blocks = parseCard(
      [
        '# Model card: cells 1.0.0',
        '',
        'Tells **two lines** apart in `224x224` crops,',
        'from [a lab](https://example.org).',
        '',
        '- first item',
        '  continued',
        '- second',
        '',
        '| metric | value |',
        '| --- | --- |',
        '| AUC | 0.97 |',
        '',
        '```sh',
        'train.py --out x',
        '```',
      ].join('\n'),
    );
    expect(blocks).toEqual([
      { kind: 'heading', level: 1, text: 'Model card: cells 1.0.0' },
      {
        kind: 'paragraph',
        spans: [
          plain('Tells '),
          { text: 'two lines', strong: true, code: false },
          plain(' apart in '),
          { text: '224x224', strong: false, code: true },
          plain(' crops, from '),
          plain('a lab'),
          plain('.'),
        ],
      },
      { kind: 'list', items: [[plain('first item continued')], [plain('second')]] },
      {
        kind: 'table',
        header: [[plain('metric')], [plain('value')]],
        rows: [[[plain('AUC')], [plain('0.97')]]],
      },
      { kind: 'code', text: 'train.py --out x' },
    ]);
    expect(spansOf('<script>alert(1)</script>')).toEqual([plain('<script>alert(1)</script>')]);
  });

  it("reads the shipped default model's card and its measured accuracy with intervals", async () => {
    const card = await readModelCard(path.resolve('models/default'));
    expect(card!.blocks[0]).toEqual({
      kind: 'heading',
      level: 1,
      text: expect.stringMatching(/^Model card: brightfield-hek293a-ht1080/),
    });
    expect(card!.blocks.some((b) => b.kind === 'table')).toBe(true);
    expect(card!.measured).toContainEqual({
      name: 'balanced accuracy',
      value: 0.9168,
      low: 0.863,
      high: 0.9599,
    });
    expect(await readModelCard(path.resolve('models/no-such-model'))).toBeNull();
  });
});
