import { addDays, utcDate } from '../../core/backfill/calendar';
import type { LockRecord, WatermarkRecord } from '../../core/ports';
import { addHours, formatIsoHour, hoursBetween } from '../../core/time';

export interface CatchUpSettings {
  /** A gap between the watermark and the hour just ended longer than this is handed to a backfill. */
  readonly backfillAfterGapHours: number;
  readonly lateDataMarginHours: number;
  /** `backfill.maxRangeDays`: one backfill never spans more. */
  readonly maxBackfillRangeDays: number;
}

/** A backfill the hourly run starts for an outage too long for hourly catch-up. */
export interface CatchUpBackfill {
  /** The backfill state machine's input, exactly as an operator would type it; plan-backfill validates it. */
  readonly input: { startDate: string; endDate: string };
  /** Where the watermark moves when that backfill succeeds: midnight UTC starting its last day. */
  readonly watermarkTo: string;
  readonly gapHours: number;
}

/**
 * Whether the gap from the watermark to `targetEnd` calls for a backfill, and which one.
 *
 * The archive's files are per location and *local* day, and no time zone is 24 hours from UTC, so local
 * days `[startDate, endDate]` hold every UTC hour of `(startDate + 1 day, endDate]`: the start is padded by
 * a day before the watermark (minus the late-data margin), and the watermark moves only to midnight UTC
 * starting `endDate`. `endDate` is the day before the hour just ended, whose archive may still be
 * incomplete; the last one or two days are left to the hourly runs.
 *
 * No backfill is started while another run holds the lock (it would be skipped) or while an earlier
 * catch-up backfill is pending; the hourly runs then keep catching up by themselves.
 */
export function planCatchUpBackfill(
  targetEnd: Date,
  stored: WatermarkRecord | undefined,
  lock: LockRecord | undefined,
  now: Date,
  settings: CatchUpSettings,
): CatchUpBackfill | null {
  if (stored === undefined) return null;
  const watermark = new Date(stored.windowEnd);
  const gapHours = hoursBetween(watermark, targetEnd);
  if (gapHours <= settings.backfillAfterGapHours) return null;
  if (stored.catchUp !== undefined && Date.parse(stored.catchUp.windowEnd) > watermark.getTime()) return null;
  if (lock !== undefined && lock.expiresAt >= Math.floor(now.getTime() / 1000)) return null;

  const startDate = addDays(utcDate(addHours(watermark, -settings.lateDataMarginHours)), -1);
  const lastFullDay = addDays(utcDate(targetEnd), -1);
  const longest = addDays(startDate, settings.maxBackfillRangeDays - 1);
  const endDate = lastFullDay < longest ? lastFullDay : longest;
  const watermarkTo = new Date(`${endDate}T00:00:00Z`);
  if (watermarkTo <= watermark) return null;
  return { input: { startDate, endDate }, watermarkTo: formatIsoHour(watermarkTo), gapHours };
}
