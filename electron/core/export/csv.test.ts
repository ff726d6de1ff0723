import { describe, expect, it } from 'vitest';
import { csvCell, csvRow } from './csv.js';

describe('the CSV writer', () => {
  it('makes text a spreadsheet would run as a formula plain text (OWASP), quoted', () => {
    expect(csvRow(['=HYPERLINK("http://x","y")', '+1', '-1+2', '@SUM(A1)', '\tx', '\rx', '\nx'])).toBe(
      `"'=HYPERLINK(""http://x"",""y"")","'+1","'-1+2","'@SUM(A1)","'\tx","'\rx","'\nx"`,
    );
  });

  it('keeps numbers numbers, negative ones too', () => {
    expect(csvRow([-0.25, 0, 12.5, -3])).toBe('-0.25,0,12.5,-3');
    expect(csvCell('-3')).toBe(`"'-3"`);
  });

  it('quotes separators, quotes and line ends, and leaves plain text and empty values alone', () => {
    expect(csvRow(['a, b', 'say "hi"', 'two\nlines', 'x=1', null, undefined, '', true])).toBe(
      '"a, b","say ""hi""","two\nlines",x=1,,,,true',
    );
    expect(csvCell({ resize: 'stretch' })).toBe('"{""resize"":""stretch""}"');
  });
});
