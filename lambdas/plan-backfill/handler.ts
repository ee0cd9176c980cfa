import { S3ObjectStore } from '../shared/aws/s3-object-store';
import { readEnv } from '../shared/env';
import { createLogger } from '../shared/logger';
import { type PlanBackfillEvent, planBackfillRun } from './core';
import { planBackfillDeps, PlanBackfillEnvSchema } from './env';
import { InvalidBackfillInput } from './errors';

const deps = planBackfillDeps(readEnv(PlanBackfillEnvSchema), new S3ObjectStore());
const log = createLogger('plan-backfill');

export async function handler(event: PlanBackfillEvent) {
  try {
    const plan = await planBackfillRun(event, deps);
    log.info('planned backfill', { runId: plan.runId, window: plan.window, chunkCount: plan.chunkCount, cluster: plan.cluster });
    return plan;
  } catch (error) {
    if (error instanceof InvalidBackfillInput) log.warn('rejected backfill input', { problems: error.problems, executionArn: event.executionArn });
    throw error;
  }
}
