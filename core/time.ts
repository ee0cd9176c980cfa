/** UTC hour arithmetic for the hourly windows (`YYYY-MM-DDTHH:00:00Z`, the Stage CLI's hourly format). */

export const ISO_HOUR_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:00:00Z$/;
const HOUR_MS = 3_600_000;

export function floorToHour(date: Date): Date {
  return new Date(Math.floor(date.getTime() / HOUR_MS) * HOUR_MS);
}

export function addHours(date: Date, hours: number): Date {
  return new Date(date.getTime() + hours * HOUR_MS);
}

export function hoursBetween(start: Date, end: Date): number {
  return (end.getTime() - start.getTime()) / HOUR_MS;
}

/** `2025-01-01T03:00:00Z`: no milliseconds, so it is identical to what the Stage CLI accepts. */
export function formatIsoHour(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `20250101T0300Z`, the time part of a run id. */
export function compactMinute(date: Date): string {
  return date.toISOString().slice(0, 16).replace(/[-:]/g, '') + 'Z';
}
