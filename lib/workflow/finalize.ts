import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { Pipeline } from '../../core/layout';
import { lambdaTask } from './lambda-task';
import { PATHS } from './state-paths';

export type RunOutcome = 'SUCCEEDED' | 'FAILED' | 'SKIPPED';

export interface FinalizeTaskOptions {
  /** The run never created a cluster nor ran a step (`$.cluster`, `$.steps` are not set). @default false */
  readonly clusterless?: boolean;
  /** More payload fields (`.$` keys for paths). */
  readonly extra?: Record<string, unknown>;
}

/**
 * Invokes the finalize Lambda (lambdas/finalize): writes `runs/<pipeline>/<runId>/manifest.json` from the
 * stage results, publishes metrics and, for a successful hourly run, advances the watermark. The payload
 * matches `FinalizeInputSchema` in lambdas/finalize/schema.ts. Needs `$.plan`, `$.steps` and `$.cluster`
 * (`{ ClusterId: null }` when no cluster was created) unless `clusterless`; a FAILED outcome also passes
 * `$.error`. A SKIPPED outcome records a run that found the lock held.
 */
export function finalizeTask(
  scope: Construct,
  id: string,
  fn: lambda.IFunction,
  pipeline: Pipeline,
  outcome: RunOutcome,
  resultPath: string,
  options: FinalizeTaskOptions = {},
): tasks.LambdaInvoke {
  return lambdaTask(scope, id, fn, {
    payload: {
      pipeline,
      outcome,
      executionArn: sfn.JsonPath.executionId,
      executionStartTime: sfn.JsonPath.executionStartTime,
      'plan.$': PATHS.plan,
      // Without a cluster, the payload leaves clusterId and steps out (FinalizeInputSchema: null and {}).
      ...(options.clusterless ? {} : { 'clusterId.$': `${PATHS.cluster}.ClusterId`, 'steps.$': PATHS.steps }),
      ...(outcome === 'FAILED' ? { 'error.$': PATHS.error } : {}),
      ...options.extra,
    },
    resultPath,
  });
}
