import { z } from 'zod';
import { S3ObjectStore } from '../shared/aws/s3-object-store';
import { nonEmpty, positiveIntFromString, readEnv } from '../shared/env';
import { createLogger } from '../shared/logger';
import { type PlanBackfillEvent, planBackfillRun } from './core';
import { InvalidBackfillInput } from './errors';

export const PlanBackfillEnvSchema = z.object({
  LAKE_BUCKET: nonEmpty,
  ARTIFACTS_BUCKET: nonEmpty,
  MAX_RANGE_DAYS: positiveIntFromString,
  DEFAULT_MAX_CONCURRENCY: positiveIntFromString,
  MAX_CONCURRENCY_LIMIT: positiveIntFromString,
  CORE_INSTANCE_COUNT: positiveIntFromString,
});

const env = readEnv(PlanBackfillEnvSchema);
const store = new S3ObjectStore();
const log = createLogger('plan-backfill');

export async function handler(event: PlanBackfillEvent) {
  try {
    const plan = await planBackfillRun(event, {
      store,
      lakeBucket: env.LAKE_BUCKET,
      artifactsBucket: env.ARTIFACTS_BUCKET,
      limits: { maxRangeDays: env.MAX_RANGE_DAYS, defaultMaxConcurrency: env.DEFAULT_MAX_CONCURRENCY, maxConcurrencyLimit: env.MAX_CONCURRENCY_LIMIT },
      coreInstanceCount: env.CORE_INSTANCE_COUNT,
    });
    log.info('planned backfill', { runId: plan.runId, window: plan.window, chunkCount: plan.chunkCount, cluster: plan.cluster });
    return plan;
  } catch (error) {
    if (error instanceof InvalidBackfillInput) log.warn('rejected backfill input', { problems: error.problems, executionArn: event.executionArn });
    throw error;
  }
}
