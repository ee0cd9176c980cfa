import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { Pipeline } from '../../core/layout';
import { terminateClusterTask } from './emr-cluster';
import { finalizeTask } from './finalize';
import { lambdaTask } from './lambda-task';
import { releaseLockTask } from './lock';
import { PATHS } from './state-paths';

export interface RunTeardownProps {
  readonly pipeline: Pipeline;
  readonly table: dynamodb.ITable;
  readonly topic: sns.ITopic;
  /** lambdas/cancel-steps: cancels the cluster's PENDING/RUNNING steps. */
  readonly cancelStepsFunction: lambda.IFunction;
  /** lambdas/janitor: terminates every cluster tagged with an execution ARN, releases its lock. */
  readonly janitorFunction: lambda.IFunction;
  readonly finalizeFunction: lambda.IFunction;
}

/**
 * The failure path of a run. Route every failure into it with a Catch whose `resultPath` is `$.error`:
 *
 *   task.addCatch(teardown.afterClusterEntry, { resultPath: PATHS.error })   // any state after createCluster
 *   create.addCatch(teardown.beforeClusterEntry, { resultPath: PATHS.error }) // createCluster itself
 *
 * After the cluster exists: Cancel running steps → Terminate cluster (after failure) → Record failed run
 * → Release lock (after failure) → (Note missing cause) → Describe failure → Notify failure → Fail run.
 * If createCluster failed (a timeout can leave a cluster starting whose id we never got): Terminate
 * clusters of this execution (by tag) → No cluster → Record failed run → ...
 *
 * Each teardown task catches its own failure and carries on (recorded under `$.teardown`), so one broken
 * layer never stops the next; the janitor and the cluster's idle timeout back them up. The run ends in
 * `Fail run` with the ORIGINAL error and cause (`$.error`).
 */
export class RunTeardown extends Construct {
  readonly afterClusterEntry: sfn.State;
  readonly beforeClusterEntry: sfn.State;

  constructor(scope: Construct, id: string, props: RunTeardownProps) {
    super(scope, id);
    // States take their names from their ids; they are created in the caller's scope so they read as
    // plain state names in the console.
    const s = scope;
    const carryOn = <T extends sfn.TaskStateBase>(task: T, key: string, next: sfn.State): T => {
      task.addCatch(next, { errors: ['States.ALL'], resultPath: `${PATHS.teardown}.${key}` });
      return task;
    };

    const fail = new sfn.Fail(s, 'Fail run', { errorPath: PATHS.errorName, causePath: PATHS.errorCause });
    const notify = new tasks.SnsPublish(s, 'Notify failure', {
      topic: props.topic,
      subject: `aqi-pipeline ${props.pipeline} run failed`,
      // An object Message is serialized to JSON by the SNS integration.
      message: sfn.TaskInput.fromJsonPathAt(`${PATHS.teardown}.notice`),
      taskTimeout: sfn.Timeout.duration(Duration.seconds(30)),
      resultPath: sfn.JsonPath.DISCARD,
    });
    carryOn(notify, 'notify', fail).next(fail);
    const describe = new sfn.Pass(s, 'Describe failure', {
      parameters: {
        pipeline: props.pipeline,
        'runId.$': PATHS.runId,
        'executionArn.$': '$$.Execution.Id',
        'clusterId.$': PATHS.clusterId,
        'error.$': PATHS.errorName,
        'cause.$': PATHS.errorCause,
        // What the teardown recorded: the manifest key and each stage's own error (a quality gate's rule
        // and figures included), or why recording failed. Always set by then: `Record failed run` writes
        // its result or its caught error under it.
        'recorded.$': PATHS.teardown,
      },
      resultPath: `${PATHS.teardown}.notice`,
    });
    describe.next(notify);
    // A task timeout (States.Timeout) may come without a Cause; the notice and the Fail state need one.
    const noCause = new sfn.Pass(s, 'Note missing cause', {
      parameters: { 'Error.$': PATHS.errorName, Cause: 'Step Functions reported no cause; see the execution history' },
      resultPath: PATHS.error,
    });
    noCause.next(describe);
    const hasCause = new sfn.Choice(s, 'Failure has a cause?')
      .when(sfn.Condition.isPresent(PATHS.errorCause), describe)
      .otherwise(noCause);
    const release = carryOn(releaseLockTask(s, 'Release lock (after failure)', props.table), 'releaseLock', hasCause);
    release.next(hasCause);
    const record = carryOn(
      finalizeTask(s, 'Record failed run', props.finalizeFunction, props.pipeline, 'FAILED', `${PATHS.teardown}.manifest`),
      'recordFailedRun',
      release,
    );
    record.next(release);
    const terminate = carryOn(terminateClusterTask(s, 'Terminate cluster (after failure)'), 'terminateCluster', record);
    terminate.next(record);
    const cancel = carryOn(
      lambdaTask(s, 'Cancel running steps', props.cancelStepsFunction, {
        payload: { 'clusterId.$': PATHS.clusterId },
        resultPath: `${PATHS.teardown}.cancelledSteps`,
      }),
      'cancelSteps',
      terminate,
    );
    cancel.next(terminate);
    this.afterClusterEntry = cancel;

    const noCluster = new sfn.Pass(s, 'No cluster', { result: sfn.Result.fromObject({ ClusterId: null }), resultPath: PATHS.cluster });
    noCluster.next(record);
    const terminateTagged = carryOn(
      lambdaTask(s, 'Terminate clusters of this execution', props.janitorFunction, {
        payload: { source: 'state-machine', executionArn: sfn.JsonPath.executionId },
        resultPath: `${PATHS.teardown}.janitor`,
      }),
      'terminateTagged',
      noCluster,
    );
    terminateTagged.next(noCluster);
    this.beforeClusterEntry = terminateTagged;
  }
}
