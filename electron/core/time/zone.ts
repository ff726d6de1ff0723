/**
 * Local time in a named (IANA) time zone: the viewer's days and hours, right across daylight-saving
 * changes, and times written with the offset they had then. Node ships the zone data (full ICU).
 */

const formatters = new Map<string, Intl.DateTimeFormat>();
const formatter = (timeZone: string): Intl.DateTimeFormat => {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
};

/** True for a zone name this machine knows, e.g. 'Europe/Berlin' or 'UTC'. */
export function isTimeZone(name: string): boolean {
  try {
    formatter(name);
    return true;
  } catch {
    return false;
  }
}

interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The wall-clock reading in `timeZone` at instant `ms`. */
function wallClock(ms: number, timeZone: string): Wall {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(ms)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return parts as unknown as Wall;
}

/** Minutes the zone is ahead of UTC at instant `ms` (Berlin in winter: 60). */
export function offsetMinutes(ms: number, timeZone: string): number {
  const w = wallClock(ms, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return Math.round((asUtc - (ms - (ms % 1000 + 1000) % 1000)) / 60_000);
}

/** The instant of local midnight starting the local day that contains `ms`. */
export function dayStart(ms: number, timeZone: string): number {
  const w = wallClock(ms, timeZone);
  const midnight = Date.UTC(w.year, w.month - 1, w.day);
  // The offset at midnight may differ from the offset now (a change during the night): settle it.
  let start = midnight - offsetMinutes(midnight, timeZone) * 60_000;
  start = midnight - offsetMinutes(start, timeZone) * 60_000;
  return start;
}

/** The instant the local hour containing `ms` began. */
export function hourStart(ms: number, timeZone: string): number {
  const w = wallClock(ms, timeZone);
  return ms - (((ms % 1000) + 1000) % 1000) - (w.minute * 60 + w.second) * 1000;
}

/** The local date of instant `ms`, as 'YYYY-MM-DD'. */
export function localDate(ms: number, timeZone: string): string {
  return localIsoTime(ms, timeZone).slice(0, 10);
}

const pad = (n: number, width = 2) => String(Math.abs(n)).padStart(width, '0');

/** ISO 8601 local time with its offset then, to the second: '2026-12-02T09:15:03+01:00'. */
export function localIsoTime(ms: number, timeZone: string): string {
  const w = wallClock(ms, timeZone);
  const offset = offsetMinutes(ms, timeZone);
  const sign = offset < 0 ? '-' : '+';
  return (
    `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}` +
    `${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`
  );
}

/**
 * The starts of every local day (or hour) that overlaps [from, to], in order: a day across a
 * daylight-saving change is 23 or 25 hours long, and the list says so.
 */
export function periodStarts(from: number, to: number, timeZone: string, period: 'day' | 'hour'): number[] {
  const startOf = period === 'day' ? dayStart : hourStart;
  // Stepping by a day and a half (or an hour and a half) from a start always lands in the next period.
  const step = period === 'day' ? 36 * 3_600_000 : 90 * 60_000;
  const starts = [startOf(from, timeZone)];
  for (let next = startOf(starts[0]! + step, timeZone); next <= to; next = startOf(next + step, timeZone))
    starts.push(next);
  return starts;
}
