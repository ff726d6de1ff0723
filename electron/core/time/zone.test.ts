import { describe, expect, it } from 'vitest';
import { dayStart, isTimeZone, localDate, localIsoTime, offsetMinutes, periodStarts } from './zone.js';

const hour = 3_600_000;

describe('local time in a named zone', () => {
  it('knows real zones and refuses made-up ones', () => {
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
    expect(isTimeZone('')).toBe(false);
  });

  it('writes local time with the offset it had then, across the October change in Berlin', () => {
    // Clocks went back at 03:00 CEST on Sunday 25 October 2026 (01:00 UTC).
    expect(localIsoTime(Date.UTC(2026, 9, 25, 0, 30), 'Europe/Berlin')).toBe('2026-10-25T02:30:00+02:00');
    expect(localIsoTime(Date.UTC(2026, 9, 25, 1, 30), 'Europe/Berlin')).toBe('2026-10-25T02:30:00+01:00');
    expect(localIsoTime(Date.UTC(2026, 11, 2, 8, 15, 3), 'Europe/Berlin')).toBe('2026-12-02T09:15:03+01:00');
    expect(localIsoTime(Date.UTC(2026, 11, 2, 8, 15, 3), 'America/New_York')).toBe('2026-12-02T03:15:03-05:00');
    expect(localIsoTime(Date.UTC(2026, 11, 2, 8, 15, 3), 'Asia/Kathmandu')).toBe('2026-12-02T14:00:03+05:45');
    expect(offsetMinutes(Date.UTC(2026, 6, 1), 'America/New_York')).toBe(-240);
  });

  it('lists local days of 25 and 23 hours where the clocks change', () => {
    const berlin = periodStarts(Date.UTC(2026, 9, 24, 12), Date.UTC(2026, 9, 26, 12), 'Europe/Berlin', 'day');
    expect(berlin).toEqual([Date.UTC(2026, 9, 23, 22), Date.UTC(2026, 9, 24, 22), Date.UTC(2026, 9, 25, 23)]);
    expect(berlin[2]! - berlin[1]!).toBe(25 * hour);
    // New York springs forward on Sunday 8 March 2026 at 02:00 EST.
    const ny = periodStarts(Date.UTC(2026, 2, 7, 12), Date.UTC(2026, 2, 9, 12), 'America/New_York', 'day');
    expect(ny).toEqual([Date.UTC(2026, 2, 7, 5), Date.UTC(2026, 2, 8, 5), Date.UTC(2026, 2, 9, 4)]);
    expect(ny[2]! - ny[1]!).toBe(23 * hour);
    expect(ny.map((start) => localDate(start, 'America/New_York'))).toEqual(['2026-03-07', '2026-03-08', '2026-03-09']);
    expect(dayStart(Date.UTC(2026, 2, 9, 3), 'America/New_York')).toBe(Date.UTC(2026, 2, 8, 5));
  });

  it('lists local hours, the repeated one twice', () => {
    const hours = periodStarts(Date.UTC(2026, 9, 25, 0), Date.UTC(2026, 9, 25, 2), 'Europe/Berlin', 'hour');
    expect(hours).toEqual([Date.UTC(2026, 9, 25, 0), Date.UTC(2026, 9, 25, 1), Date.UTC(2026, 9, 25, 2)]);
    expect(hours.map((h) => localIsoTime(h, 'Europe/Berlin').slice(11))).toEqual([
      '02:00:00+02:00',
      '02:00:00+01:00',
      '03:00:00+01:00',
    ]);
  });
});
