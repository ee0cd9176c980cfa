/**
 * Building blocks shared by the hourly and backfill state machines. See each file's doc comment; the
 * hourly workflow (lib/hourly-workflow.ts) is the worked example of putting them together:
 *
 *   plan (Lambda, ResultPath $.plan) → acquireLockOrSkip(...) → Pass `$.steps = {}` →
 *   createClusterTask(...) [catch → teardown.beforeClusterEntry] →
 *   stageStepTask(...) per stage [catch → teardown.afterClusterEntry] →
 *   terminateClusterTask(...) → finalizeTask(..., 'SUCCEEDED', ...) → releaseLockTask(...) → Succeed
 */
export * from './emr-cluster';
export * from './finalize';
export * from './lambda-task';
export * from './lock';
export * from './retries';
export * from './stage-args';
export * from './stage-step';
export * from './state-paths';
export * from './teardown';
