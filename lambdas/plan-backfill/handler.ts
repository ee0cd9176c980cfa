import { S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../../core/aws/s3-object-store';
import { readEnv } from '../../core/env';
import { functionTools, instrumentedHandler } from '../shared/powertools';
import { type PlanBackfillEvent, planBackfillRun } from './core';
import { planBackfillDeps, PlanBackfillEnvSchema } from './env';
import { InvalidBackfillInput } from '../../core/backfill/errors';

const env = readEnv(PlanBackfillEnvSchema);
const tools = functionTools('plan-backfill');
const deps = planBackfillDeps(env, new S3ObjectStore(tools.tracer.captureAWSv3Client(new S3Client({}))));

export const handler = instrumentedHandler(tools, async (event) => {
  try {
    const plan = await planBackfillRun(event as PlanBackfillEvent, deps);
    tools.logger.info('planned backfill', { runId: plan.runId, window: plan.window, chunkCount: plan.chunkCount, cluster: plan.cluster });
    return plan;
  } catch (error) {
    if (error instanceof InvalidBackfillInput) tools.logger.warn('rejected backfill input', { problems: error.problems });
    throw error;
  }
});
