import type { WatermarkRecord } from '../../core/ports';
import { addHours, hoursBetween } from '../../core/time';

export interface WindowSettings {
  readonly lateDataMarginHours: number;
  readonly maxWindowHours: number;
}

/** Which hours a run processes and whether the watermark may move over them. */
export interface HourlyWindow {
  /** Start exclusive, end inclusive (the Stage CLI's hourly window). */
  readonly start: Date;
  readonly end: Date;
  /** The window ends before the hour just ended: the next scheduled runs continue the catch-up. */
  readonly capped: boolean;
  /**
   * Whether finalize may move the watermark to `end`: only when the window starts at or before the stored
   * watermark (so the processed range stays contiguous) and ends after it.
   */
  readonly advancesWatermark: boolean;
}

/**
 * The watermark is the end of the contiguous range of hours that were ingested (Bronze) and promoted
 * (Silver, Gold). A scheduled run starts from it (minus the late-data margin, re-read because late data
 * arrives there) and covers at most `maxWindowHours`, oldest first, so after an outage consecutive runs
 * catch up with no operator action. A manual run processes the one window it names and moves the
 * watermark only if that window joins the processed range. Without a watermark (the very first run) a
 * scheduled run starts the range at the hour just ended.
 */
export function hourlyWindow(
  trigger: 'schedule' | 'manual',
  targetEnd: Date,
  stored: WatermarkRecord | undefined,
  settings: WindowSettings,
): HourlyWindow {
  const lastHour = addHours(targetEnd, -1);
  const watermark = stored === undefined ? undefined : new Date(stored.windowEnd);
  if (trigger === 'manual' || watermark === undefined) {
    const start = addHours(lastHour, -settings.lateDataMarginHours);
    const joins = watermark === undefined ? trigger === 'schedule' : start <= watermark && targetEnd > watermark;
    return { start, end: targetEnd, capped: false, advancesWatermark: joins };
  }
  const base = watermark < lastHour ? watermark : lastHour;
  const start = addHours(base, -settings.lateDataMarginHours);
  const capped = hoursBetween(start, targetEnd) > settings.maxWindowHours;
  const end = capped ? addHours(start, settings.maxWindowHours) : targetEnd;
  return { start, end, capped, advancesWatermark: end > watermark };
}
