import type { Stage } from '../../core/layout';

/**
 * Where each workflow keeps its data in the state document. The hourly and backfill state machines
 * share this layout, so the building blocks in this folder work in both.
 *
 *   $.plan    output of the plan Lambda: { pipeline, runId, lock: { acquiredAt, nowEpoch, expiresAtEpoch }, ... }
 *   $.steps   one entry per EMR step, the `addStep.sync` output (set to {} before the cluster starts)
 *   $.cluster { ClusterId } once createCluster has succeeded
 *   $.error   { Error, Cause } of the failure a Catch routed into the teardown
 */
export const PATHS = {
  plan: '$.plan',
  runId: '$.plan.runId',
  pipeline: '$.plan.pipeline',
  lockAcquiredAt: '$.plan.lock.acquiredAt',
  lockNowEpoch: '$.plan.lock.nowEpoch',
  lockExpiresAtEpoch: '$.plan.lock.expiresAtEpoch',
  steps: '$.steps',
  cluster: '$.cluster',
  clusterId: '$.cluster.ClusterId',
  error: '$.error',
  errorName: '$.error.Error',
  errorCause: '$.error.Cause',
  lockHolder: '$.lockHolder',
  teardown: '$.teardown',
} as const;

export function stepPath(name: Stage | string): string {
  return `${PATHS.steps}.${name}`;
}

export function skipPath(stage: Stage): string {
  return `${PATHS.plan}.skip.${stage}`;
}
