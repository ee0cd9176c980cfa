import type { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { emrApiRetry, failedStepRetry } from './retries';
import { type StageArgsContext, type StageInvocation, stageStepArgs } from './stage-args';
import { PATHS, stepPath } from './state-paths';

export interface StageStepProps {
  readonly context: StageArgsContext;
  readonly invocation: StageInvocation;
  /** The step's `TimeoutSeconds`; past it the Catch cancels the step and tears the cluster down. */
  readonly timeout: Duration;
  /** Re-runs of a step that failed (not of one that timed out). 0 disables. */
  readonly failedStepRetries: number;
  /**
   * Where the `addStep.sync` output goes. @default `$.steps.<stage>` (a Map iteration over chunks passes
   * its own path)
   */
  readonly resultPath?: string;
  /** @default PATHS.clusterId */
  readonly clusterIdPath?: string;
  /** EMR step name. @default - `<stage>` for whole-run stages, `bronze <chunkId>` for chunks */
  readonly stepName?: string;
}

/**
 * An `EmrAddStep` (`.sync`) running one stage in its own JVM. `ActionOnFailure: CONTINUE` because the
 * state machine, not EMR, decides what a failure does (teardown), and the cluster must survive for it.
 *
 * Usage: `const bronze = stageStepTask(this, 'Bronze', { context, invocation: { pipeline: 'hourly',
 * stage: 'bronze', mode: 'hourly', startPath: '$.plan.window.start', endPath: '$.plan.window.end',
 * source }, timeout, failedStepRetries });` then `bronze.addCatch(teardown.afterClusterEntry, { resultPath: PATHS.error })`.
 */
/** The EMR step name of a stage: `<stage>` for a whole-run stage, `<stage> <chunkId>` for a chunk. */
export function stageStepName(invocation: Pick<StageInvocation, 'stage' | 'chunkIdPath'>): string {
  return invocation.chunkIdPath !== undefined
    ? sfn.JsonPath.format(`${invocation.stage} {}`, sfn.JsonPath.stringAt(invocation.chunkIdPath))
    : invocation.stage;
}

export function stageStepTask(scope: Construct, id: string, props: StageStepProps): tasks.EmrAddStep {
  const { invocation } = props;
  const name = props.stepName ?? stageStepName(invocation);
  const task = new tasks.EmrAddStep(scope, id, {
    clusterId: sfn.JsonPath.stringAt(props.clusterIdPath ?? PATHS.clusterId),
    name,
    jar: 'command-runner.jar',
    args: stageStepArgs(props.context, invocation),
    actionOnFailure: tasks.ActionOnFailure.CONTINUE,
    integrationPattern: sfn.IntegrationPattern.RUN_JOB,
    taskTimeout: sfn.Timeout.duration(props.timeout),
    resultPath: props.resultPath ?? stepPath(invocation.stage),
  });
  task.addRetry(emrApiRetry());
  if (props.failedStepRetries > 0) task.addRetry(failedStepRetry(props.failedStepRetries));
  return task;
}
