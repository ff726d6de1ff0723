/** How numbers, times and fingerprints read on screen. */

export const percent = (p: number | null | undefined, digits = 0): string =>
  p === null || p === undefined ? '–' : `${(p * 100).toFixed(digits)} %`;

const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const timeFormat = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

export const dateTime = (iso: string | null | undefined): string =>
  iso ? dateTimeFormat.format(new Date(iso)) : '–';

/** Today's times without the date, older ones with it. */
export function when(iso: string | null | undefined): string {
  if (!iso) return '–';
  const date = new Date(iso);
  return date.toDateString() === new Date().toDateString()
    ? timeFormat.format(date)
    : dateTimeFormat.format(date);
}

/** Year first and 24-hour, compact and unambiguous in a table column. */
export const stamp = (iso: string | null | undefined): string =>
  iso ? new Date(iso).toLocaleString('sv') : '–';

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function eta(seconds: number | null): string {
  if (seconds === null) return 'estimating…';
  if (seconds < 1) return 'a moment';
  if (seconds < 60) return 'under a minute';
  if (seconds < 3600) return `about ${Math.round(seconds / 60)} min`;
  return `about ${(seconds / 3600).toFixed(1)} h`;
}

/** Captures per second become per minute when that reads better. */
export const rate = (perSecond: number): string =>
  perSecond >= 1 ? `${perSecond.toFixed(1)} per second` : `${Math.round(perSecond * 60)} per minute`;

export const shortSha = (sha: string): string => sha.slice(0, 12);

export const count = (n: number): string => n.toLocaleString();

/** "just now", "12 s ago", "4 min ago", then the time itself: how long ago, against `now`. */
export function ago(iso: string | null | undefined, now: number): string {
  if (!iso) return '–';
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  return when(iso);
}
