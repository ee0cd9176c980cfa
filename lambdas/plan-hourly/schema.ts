import { z } from 'zod';
import { STAGES } from '../../core/layout';
import { ISO_HOUR_PATTERN } from '../../core/time';
import type { HourlyPlanSettings } from './core';

const isoInstant = z.iso.datetime({ offset: true, message: 'must be an ISO-8601 timestamp such as 2025-01-01T03:15:00Z' });

/**
 * What starts an hourly execution: the scheduler's `{ scheduledTime }`, or an operator's
 * `{ windowEnd }` that re-runs one window. Unknown keys are rejected so a typo never silently runs the
 * wrong window.
 */
export const HourlyInputSchema = z
  .strictObject({
    scheduledTime: isoInstant.optional(),
    windowEnd: z
      .string()
      .regex(ISO_HOUR_PATTERN, 'must be a whole UTC hour such as 2025-01-01T03:00:00Z')
      .optional(),
    skipStages: z
      .array(z.enum(STAGES, { message: `must be one of ${STAGES.join(', ')}` }))
      .refine((stages) => new Set(stages).size === stages.length, 'must not repeat a stage')
      .optional(),
  })
  .refine((input) => (input.scheduledTime === undefined) !== (input.windowEnd === undefined), {
    message: 'give exactly one of scheduledTime (scheduled runs) or windowEnd (re-running one window)',
  });

export type HourlyInput = z.infer<typeof HourlyInputSchema>;

export const PlanHourlyEnvSchema = z.object({
  TABLE_NAME: z.string().min(1, 'must name the pipeline DynamoDB table'),
  LATE_DATA_MARGIN_HOURS: z.coerce.number().int().min(0).max(168),
  MAX_WINDOW_HOURS: z.coerce.number().int().min(1).max(24 * 31),
  LOCK_TTL_SECONDS: z.coerce.number().int().min(60),
  BACKFILL_AFTER_GAP_HOURS: z.coerce.number().int().min(1),
  MAX_BACKFILL_RANGE_DAYS: z.coerce.number().int().min(1),
  METRICS_NAMESPACE: z.string().min(1),
  LOCATION_COUNT: z.coerce.number().int().min(1),
  SIZING_MODE: z.enum(['auto', 'primary-only', 'primary-and-core']),
  PRIMARY_ONLY_MAX_LOCATION_HOURS: z.coerce.number().int().min(1),
  LOCATION_HOURS_PER_CORE_INSTANCE: z.coerce.number().int().min(1),
  MAX_CORE_INSTANCES: z.coerce.number().int().min(1),
  CORE_INSTANCE_COUNT: z.coerce.number().int().min(1),
});

export type PlanHourlyEnv = z.infer<typeof PlanHourlyEnvSchema>;

/** The plan's settings from the function's environment (the handler and the local runtime share this). */
export function planHourlySettings(env: PlanHourlyEnv): HourlyPlanSettings {
  return {
    lateDataMarginHours: env.LATE_DATA_MARGIN_HOURS,
    maxWindowHours: env.MAX_WINDOW_HOURS,
    lockTtlSeconds: env.LOCK_TTL_SECONDS,
    backfillAfterGapHours: env.BACKFILL_AFTER_GAP_HOURS,
    maxBackfillRangeDays: env.MAX_BACKFILL_RANGE_DAYS,
    metricsNamespace: env.METRICS_NAMESPACE,
    locationCount: env.LOCATION_COUNT,
    sizing: {
      mode: env.SIZING_MODE,
      primaryOnlyMaxLocationHours: env.PRIMARY_ONLY_MAX_LOCATION_HOURS,
      locationHoursPerCoreInstance: env.LOCATION_HOURS_PER_CORE_INSTANCE,
      maxCoreInstances: env.MAX_CORE_INSTANCES,
      configuredCoreInstances: env.CORE_INSTANCE_COUNT,
    },
  };
}
