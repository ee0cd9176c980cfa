import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoPipelineStateStore } from '../shared/aws/dynamodb-state-store';
import { readEnv } from '../shared/env';
import { functionTools, instrumentedHandler } from '../shared/powertools';
import { planHourly } from './core';
import { PlanHourlyEnvSchema } from './schema';

const env = readEnv(PlanHourlyEnvSchema);
const tools = functionTools('plan-hourly');
const state = new DynamoPipelineStateStore(env.TABLE_NAME, tools.tracer.captureAWSv3Client(new DynamoDBClient({})));

export const handler = instrumentedHandler(tools, async (event) => {
  const plan = await planHourly(event, {
    state,
    now: new Date(),
    settings: {
      lateDataMarginHours: env.LATE_DATA_MARGIN_HOURS,
      maxWindowHours: env.MAX_WINDOW_HOURS,
      lockTtlSeconds: env.LOCK_TTL_SECONDS,
    },
  });
  tools.logger.info('planned hourly run', { runId: plan.runId, window: plan.window, capped: plan.capped, skip: plan.skip });
  if (plan.capped) tools.logger.warn('window capped; run a backfill for the hours before it', { window: plan.window });
  return plan;
});
