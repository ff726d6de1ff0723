import { describe, expect, it } from 'vitest';
import { PageNotices } from './page-notices.js';

function mailbox(limit?: number) {
  const delivered: Array<[number, string]> = [];
  const notices = new PageNotices<string>((id, notice) => delivered.push([id, notice]), limit);
  return { notices, delivered };
}

describe('notices for a page', () => {
  it('holds what is sent while the page loads and hands it over, in order, once it listens', () => {
    const { notices, delivered } = mailbox();
    notices.pageLoading(1);
    notices.send(1, 'The engine could not open the database.');
    notices.send(1, 'second');
    expect(delivered).toEqual([]);
    notices.pageListening(1);
    expect(delivered).toEqual([
      [1, 'The engine could not open the database.'],
      [1, 'second'],
    ]);
    notices.send(1, 'third');
    expect(delivered.at(-1)).toEqual([1, 'third']);
  });

  it('holds for a window it has not heard of yet (its page is loading)', () => {
    const { notices, delivered } = mailbox();
    notices.send(2, 'early');
    notices.pageListening(2);
    expect(delivered).toEqual([[2, 'early']]);
  });

  it('holds again while a page reloads, and keeps windows apart', () => {
    const { notices, delivered } = mailbox();
    notices.pageListening(1);
    notices.pageListening(2);
    notices.pageLoading(1);
    notices.send(1, 'for the reloaded page');
    notices.send(2, 'for the other window');
    expect(delivered).toEqual([[2, 'for the other window']]);
    notices.pageListening(1);
    expect(delivered).toEqual([
      [2, 'for the other window'],
      [1, 'for the reloaded page'],
    ]);
  });

  it('keeps only the latest notices for a page that never listens, and forgets a closed window', () => {
    const { notices, delivered } = mailbox(2);
    for (const n of ['a', 'b', 'c']) notices.send(3, n);
    notices.pageListening(3);
    expect(delivered).toEqual([
      [3, 'b'],
      [3, 'c'],
    ]);
    notices.send(4, 'lost with its window');
    notices.forget(4);
    notices.pageListening(4);
    expect(delivered).toHaveLength(2);
  });
});
