import { DynamoPipelineStateStore } from '../shared/aws/dynamodb-state-store';
import { readEnv } from '../shared/env';
import { createLogger } from '../shared/logger';
import { planHourly } from './core';
import { PlanHourlyEnvSchema } from './schema';

const env = readEnv(PlanHourlyEnvSchema);
const state = new DynamoPipelineStateStore(env.TABLE_NAME);
const log = createLogger('plan-hourly');

export async function handler(event: unknown) {
  const plan = await planHourly(event, {
    state,
    now: new Date(),
    settings: {
      lateDataMarginHours: env.LATE_DATA_MARGIN_HOURS,
      maxWindowHours: env.MAX_WINDOW_HOURS,
      lockTtlSeconds: env.LOCK_TTL_SECONDS,
    },
  });
  log.info('planned hourly run', { runId: plan.runId, window: plan.window, capped: plan.capped, skip: plan.skip });
  if (plan.capped) log.warn('window capped; run a backfill for the hours before it', { window: plan.window });
  return plan;
}
