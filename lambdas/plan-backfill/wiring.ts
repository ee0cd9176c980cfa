import * as z from 'zod';
import { nonEmpty, positiveIntFromString } from '../../core/env';
import { defineFunction } from '../../core/function';
import { InvalidBackfillInput } from '../../core/backfill/errors';
import type { ObjectStore } from '../../core/ports';
import { type PlanBackfillDeps, type PlanBackfillEvent, planBackfillRun } from './core';

/** The function's environment, set by lib/backfill-functions.ts from `cdk.json`. */
export const PlanBackfillEnvSchema = z.object({
  LAKE_BUCKET: nonEmpty,
  ARTIFACTS_BUCKET: nonEmpty,
  MAX_RANGE_DAYS: positiveIntFromString,
  DEFAULT_MAX_CONCURRENCY: positiveIntFromString,
  MAX_CONCURRENCY_LIMIT: positiveIntFromString,
  CORE_INSTANCE_COUNT: positiveIntFromString,
  BRONZE_TIMEOUT_SECONDS: positiveIntFromString,
  SILVER_TIMEOUT_SECONDS: positiveIntFromString,
  GOLD_TIMEOUT_SECONDS: positiveIntFromString,
  FAILED_STEP_RETRIES: z.coerce.number().int().nonnegative(),
});

export type PlanBackfillEnv = z.infer<typeof PlanBackfillEnvSchema>;

/** The core's dependencies from a validated environment. */
function planBackfillDeps(env: PlanBackfillEnv, store: ObjectStore): PlanBackfillDeps {
  return {
    store,
    lakeBucket: env.LAKE_BUCKET,
    artifactsBucket: env.ARTIFACTS_BUCKET,
    limits: { maxRangeDays: env.MAX_RANGE_DAYS, defaultMaxConcurrency: env.DEFAULT_MAX_CONCURRENCY, maxConcurrencyLimit: env.MAX_CONCURRENCY_LIMIT },
    coreInstanceCount: env.CORE_INSTANCE_COUNT,
    timeouts: {
      bronzeSeconds: env.BRONZE_TIMEOUT_SECONDS,
      silverSeconds: env.SILVER_TIMEOUT_SECONDS,
      goldSeconds: env.GOLD_TIMEOUT_SECONDS,
      failedStepRetries: env.FAILED_STEP_RETRIES,
    },
  };
}

/** Validates a backfill's input, writes its plan and the run's locations, returns the compact plan state. */
export const planBackfillFunction = defineFunction({
  name: 'plan-backfill',
  env: PlanBackfillEnvSchema,
  ports: ['objects'],
  deps: (env, ports) => planBackfillDeps(env, ports.objects()),
  run: async (event, deps, log) => {
    try {
      const plan = await planBackfillRun(event as PlanBackfillEvent, deps);
      log.info('planned backfill', { runId: plan.runId, window: plan.window, chunkCount: plan.chunkCount, cluster: plan.cluster });
      return plan;
    } catch (error) {
      if (error instanceof InvalidBackfillInput) log.warn('rejected backfill input', { problems: error.problems });
      throw error;
    }
  },
});
