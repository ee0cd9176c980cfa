import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoPipelineStateStore } from '../../core/aws/dynamodb-state-store';
import { EmfMetricsSink } from '../../core/aws/emf-metrics';
import { readEnv } from '../../core/env';
import { functionTools, instrumentedHandler } from '../shared/powertools';
import { planHourly } from './core';
import { PlanHourlyEnvSchema, planHourlySettings } from './schema';

const env = readEnv(PlanHourlyEnvSchema);
const tools = functionTools('plan-hourly');
const state = new DynamoPipelineStateStore(env.TABLE_NAME, tools.tracer.captureAWSv3Client(new DynamoDBClient({})));
const metrics = new EmfMetricsSink('plan-hourly');
const settings = planHourlySettings(env);

export const handler = instrumentedHandler(tools, async (event) => {
  const plan = await planHourly(event, { state, metrics, now: new Date(), settings });
  tools.logger.info('planned hourly run', { runId: plan.runId, window: plan.window, capped: plan.capped, skip: plan.skip, watermark: plan.watermark, cluster: plan.cluster });
  if (plan.capped) tools.logger.info('catching up: the next scheduled runs continue from the new watermark', { window: plan.window });
  if (plan.catchUpBackfill) tools.logger.warn('outage longer than the hourly catch-up limit: starting a backfill', { catchUpBackfill: plan.catchUpBackfill });
  return plan;
});
