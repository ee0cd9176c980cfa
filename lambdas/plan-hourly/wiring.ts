import * as z from 'zod';
import { defineFunction } from '../../core/function';
import { HOURLY_SIZING_MODES } from '../../core/hourly/sizing';
import { type HourlyPlanSettings, planHourly } from './core';

export const PlanHourlyEnvSchema = z.object({
  TABLE_NAME: z.string().min(1, 'must name the pipeline DynamoDB table'),
  LATE_DATA_MARGIN_HOURS: z.coerce.number().int().min(0).max(168),
  MAX_WINDOW_HOURS: z.coerce.number().int().min(1).max(24 * 31),
  LOCK_TTL_SECONDS: z.coerce.number().int().min(60),
  BACKFILL_AFTER_GAP_HOURS: z.coerce.number().int().min(1),
  MAX_BACKFILL_RANGE_DAYS: z.coerce.number().int().min(1),
  METRICS_NAMESPACE: z.string().min(1),
  LOCATION_COUNT: z.coerce.number().int().min(1),
  SIZING_MODE: z.enum(HOURLY_SIZING_MODES),
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

/** Plans an hourly run: window from the watermark, skip or catch-up backfill, cluster shape. */
export const planHourlyFunction = defineFunction({
  name: 'plan-hourly',
  env: PlanHourlyEnvSchema,
  ports: ['state', 'metrics'],
  deps: (env, ports) => ({ state: ports.state(env.TABLE_NAME), metrics: ports.metrics(), settings: planHourlySettings(env) }),
  run: async (event, deps, log) => {
    const plan = await planHourly(event, { ...deps, now: new Date() });
    log.info('planned hourly run', { runId: plan.runId, window: plan.window, capped: plan.capped, skip: plan.skip, watermark: plan.watermark, cluster: plan.cluster });
    if (plan.capped) log.info('catching up: the next scheduled runs continue from the new watermark', { window: plan.window });
    if (plan.catchUpBackfill) log.warn('outage longer than the hourly catch-up limit: starting a backfill', { catchUpBackfill: plan.catchUpBackfill });
    return plan;
  },
});
