import type { MetricDatum, WatermarkRecord } from './ports';
import { hoursBetween } from './time';

/** The freshness metric: hours from the end of the processed range to now (lib/monitoring.ts alarms on it). */
export const WATERMARK_AGE_METRIC = 'WatermarkAgeHours';

/**
 * Before the first run there is no watermark, so no datum: the alarm treats missing data as breaching
 * (lib/monitoring.ts), which also catches a schedule that stopped starting runs.
 */
export function watermarkAgeMetric(stored: WatermarkRecord | undefined, now: Date): MetricDatum[] {
  if (stored === undefined) return [];
  return [{ name: WATERMARK_AGE_METRIC, value: Math.max(0, hoursBetween(new Date(stored.windowEnd), now)), unit: 'None', dimensions: { Pipeline: 'hourly' } }];
}

/** The count each outcome adds to (lib/monitoring.ts alarms on RunSkipped). */
export const RUN_OUTCOME_METRIC = { SUCCEEDED: 'RunSucceeded', FAILED: 'RunFailed', SKIPPED: 'RunSkipped' } as const;

/**
 * Archive files a backfill could not read (empty, truncated or corrupt gzip, no or a wrong header), published
 * by backfill-finalize on every run with Pipeline=backfill; the files themselves are in the run's manifest.
 */
export const UNREADABLE_SOURCE_FILES_METRIC = 'UnreadableSourceFiles';
