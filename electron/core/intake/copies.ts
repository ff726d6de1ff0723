import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Store } from '../store/store.js';

/** "08:41:07" today, "2026-11-30 16:02" before: local time, as the lab's clock shows it. */
export function localTime(ms: number, now = new Date()): string {
  const at = new Date(ms);
  const time = at.toLocaleTimeString('en-GB');
  return at.toDateString() === now.toDateString() ? time : `${at.toLocaleDateString('sv')} ${time.slice(0, 5)}`;
}

/**
 * When `file` turned out to hold a capture already classified under another path that is still
 * there (a copy, not a move), the sentence that says so; null otherwise. The copy is not
 * classified again: its result is the first one's.
 */
export function copyNotice(store: Store, file: string, sha256: string): string | null {
  const capture = store.captures.get(sha256);
  if (capture?.state !== 'done') return null;
  const first = capture.paths.find((other) => other !== file && existsSync(other));
  const latest = store.history.forCapture(sha256)[0];
  if (!first || !latest) return null;
  const [copyName, firstName] = [path.basename(file), path.basename(first)];
  // The same name in another folder says nothing by itself: then the paths tell them apart.
  const [shownCopy, shownFirst] = copyName === firstName ? [file, first] : [copyName, firstName];
  return `${shownCopy} is the same picture as ${shownFirst}, classified at ${localTime(latest.classifiedAt)}: it is not classified again.`;
}
