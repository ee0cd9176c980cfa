/**
 * Wall-clock arithmetic for IANA time zones with nothing but `Intl`: the archive stamps every row with
 * local time and its offset, and a local day is 23, 24 or 25 hours long depending on DST.
 */
import { addDays } from '../../core/backfill/calendar';

const HOUR_MS = 3_600_000;
const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

function offsetFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = offsetFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
    offsetFormatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The zone's offset from UTC in minutes at `instantMs` (Denver in January: -420). */
export function utcOffsetMinutes(timeZone: string, instantMs: number): number {
  const name = offsetFormatter(timeZone)
    .formatToParts(new Date(instantMs))
    .find((part) => part.type === 'timeZoneName')?.value;
  // "GMT" alone means offset zero; otherwise "GMT-07:00" / "GMT+05:30".
  const match = /^GMT(?:([+-])(\d{2}):(\d{2}))?$/.exec(name ?? '');
  if (!match) throw new Error(`cannot read the UTC offset of time zone '${timeZone}' (got '${name}')`);
  if (!match[1]) return 0;
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return match[1] === '-' ? -minutes : minutes;
}

export function formatOffset(offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
}

/** `2024-03-10T03:00:00-06:00`: the instant as the zone's wall clock with its offset, as the archive writes it. */
export function localIsoWithOffset(instantMs: number, timeZone: string): string {
  const offset = utcOffsetMinutes(timeZone, instantMs);
  const wall = new Date(instantMs + offset * 60_000).toISOString().slice(0, 19);
  return `${wall}${formatOffset(offset)}`;
}

/** The UTC instant of local midnight at the start of `day` (YYYY-MM-DD) in the zone. */
export function localMidnightUtcMs(day: string, timeZone: string): number {
  const wallAsUtc = Date.parse(`${day}T00:00:00Z`);
  if (Number.isNaN(wallAsUtc)) throw new Error(`'${day}' is not a date (expected YYYY-MM-DD)`);
  // Two passes: the first guess may sit on the other side of a DST switch from the answer.
  let guess = wallAsUtc - utcOffsetMinutes(timeZone, wallAsUtc) * 60_000;
  guess = wallAsUtc - utcOffsetMinutes(timeZone, guess) * 60_000;
  return guess;
}

/**
 * The hour-ending instants of one local day: from 01:00 local to the following midnight (the archive's
 * "24:00"). 24 of them on an ordinary day, 23 when clocks spring forward, 25 when they fall back.
 */
export function hourEndsOfLocalDay(day: string, timeZone: string): number[] {
  const start = localMidnightUtcMs(day, timeZone);
  const end = localMidnightUtcMs(addDays(day, 1), timeZone);
  const hours: number[] = [];
  for (let t = start + HOUR_MS; t <= end; t += HOUR_MS) hours.push(t);
  return hours;
}

/** The local calendar day (YYYY-MM-DD) an hour-ending instant belongs to: its hour began on that day. */
export function localDayOfHourEnd(hourEndMs: number, timeZone: string): string {
  const begin = hourEndMs - HOUR_MS;
  return new Date(begin + utcOffsetMinutes(timeZone, begin) * 60_000).toISOString().slice(0, 10);
}

/** The local wall-clock hour (0–23) at which the hour ending at `hourEndMs` began. */
export function localBeginHour(hourEndMs: number, timeZone: string): number {
  const begin = hourEndMs - HOUR_MS;
  return new Date(begin + utcOffsetMinutes(timeZone, begin) * 60_000).getUTCHours();
}

/** Every day from `from` to `to`, both inclusive. */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let day = from; day <= to; day = addDays(day, 1)) days.push(day);
  return days;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

export { HOUR_MS };
