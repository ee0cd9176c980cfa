import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { type ClusterCapacity, createClusterTask, type EmrClusterBlueprint, terminateClusterTask } from './emr-cluster';
import { finalizeTask } from './finalize';
import { lambdaTask } from './lambda-task';
import { acquireLockOrSkip, LOCK_HELD_ERROR, releaseLockTask } from './lock';
import type { SilverQualityLimits, StageArgsContext } from './stage-args';
import { stageStepTask } from './stage-step';
import { PATHS, skipPath } from './state-paths';
import { RunTeardown } from './teardown';

/** The error a rejected input ends the execution with (core/backfill/errors.ts). */
export const INVALID_BACKFILL_INPUT = 'InvalidBackfillInput';
/** The error a run with failed chunks ends with, after Silver and Gold processed the good data. */
export const BACKFILL_CHUNKS_FAILED = 'BackfillChunksFailed';

export const BACKFILL_PATHS = {
  fanIn: '$.fanIn',
  outcome: '$.outcome',
  invalidInput: '$.invalidInput',
  /** Where a failed `Notify unreadable source files` is recorded; the run carries on to its outcome. */
  unreadableNoticeFailed: '$.unreadableNoticeFailed',
} as const;

export interface BackfillDefinitionProps {
  readonly blueprint: EmrClusterBlueprint;
  /** Where the cluster's capacity comes from (`backfill.capacity` of the config). */
  readonly capacity: ClusterCapacity;
  readonly stageArgs: StageArgsContext;
  /** Each range step's timeout per attempt (`stageTimeoutSeconds` of the config). */
  readonly rangeStepTimeouts: Readonly<Record<'silver' | 'gold', Duration>>;
  /** How often a failed range step is retried (`emr.stepRetries` of the config). */
  readonly failedStepRetries: number;
  /** Silver's quality-gate limits (`backfill.silverQualityGate` of the config, `silverQualityLimits`). */
  readonly silverQualityLimits: SilverQualityLimits;
  readonly table: dynamodb.ITable;
  readonly topic: sns.ITopic;
  readonly cancelStepsFunction: lambda.IFunction;
  readonly janitorFunction: lambda.IFunction;
  readonly planFunction: lambda.IFunction;
  readonly fanInFunction: lambda.IFunction;
  readonly finalizeFunction: lambda.IFunction;
  readonly chunksMap: sfn.DistributedMap;
}

/**
 * Plan → (invalid input: fail at once, nothing created) → lock (held: succeed as skipped) → create
 * cluster sized by the plan → Bronze chunks Map → fan-in → Silver range → Gold range → terminate →
 * finalize → release lock → notify if any archive file could not be read (the run's outcome stands either
 * way) → fail with `BackfillChunksFailed` if any chunk failed, else succeed. Every
 * state from cluster creation on is caught into the shared teardown (cancel steps, terminate, record
 * the failed run, release the lock, notify).
 */
export function backfillDefinition(scope: Construct, props: BackfillDefinitionProps): sfn.IChainable {
  const teardown = new RunTeardown(scope, 'Teardown', {
    pipeline: 'backfill',
    table: props.table,
    topic: props.topic,
    cancelStepsFunction: props.cancelStepsFunction,
    janitorFunction: props.janitorFunction,
    finalizeFunction: props.finalizeFunction,
  });
  const caught = <T extends sfn.TaskStateBase | sfn.DistributedMap>(state: T): T => {
    state.addCatch(teardown.afterClusterEntry, { errors: ['States.ALL'], resultPath: PATHS.error });
    return state;
  };

  const plan = lambdaTask(scope, 'Plan backfill', props.planFunction, {
    payload: {
      'input.$': '$$.Execution.Input',
      executionArn: sfn.JsonPath.executionId,
      executionStartTime: sfn.JsonPath.executionStartTime,
    },
    resultPath: PATHS.plan,
  });
  // The Lambda's Cause is its error envelope (with a stack trace); the operator gets the message alone.
  const describeInvalid = new sfn.Pass(scope, 'Describe invalid input', {
    parameters: { 'envelope.$': `States.StringToJson(${PATHS.errorCause})` },
    resultPath: BACKFILL_PATHS.invalidInput,
  });
  const invalid = new sfn.Fail(scope, 'Invalid input', {
    error: INVALID_BACKFILL_INPUT,
    causePath: `${BACKFILL_PATHS.invalidInput}.envelope.errorMessage`,
    comment: 'Rejected before any lock or cluster exists.',
  });
  plan.addCatch(describeInvalid.next(invalid), { errors: [INVALID_BACKFILL_INPUT], resultPath: PATHS.error });

  const initSteps = new sfn.Pass(scope, 'Init steps', { result: sfn.Result.fromObject({}), resultPath: PATHS.steps });
  const create = createClusterTask(scope, 'Create cluster', props.blueprint, {
    pipeline: 'backfill',
    stepConcurrencyLevel: sfn.JsonPath.numberAt(`${PATHS.plan}.cluster.stepConcurrency`),
    managedScaling: {
      minimumUnits: sfn.JsonPath.numberAt(`${PATHS.plan}.cluster.minCapacityUnits`),
      maximumUnits: sfn.JsonPath.numberAt(`${PATHS.plan}.cluster.maxCapacityUnits`),
    },
    capacity: props.capacity,
  });
  create.addCatch(teardown.beforeClusterEntry, { errors: ['States.ALL'], resultPath: PATHS.error });

  const fanIn = caught(
    lambdaTask(scope, 'Fan in', props.fanInFunction, {
      payload: { 'runId.$': PATHS.runId, 'clusterId.$': PATHS.clusterId },
      resultPath: BACKFILL_PATHS.fanIn,
      timeout: Duration.minutes(6),
    }),
  );
  const rangeStep = (stage: 'silver' | 'gold', id: string) =>
    caught(
      stageStepTask(scope, id, {
        context: props.stageArgs,
        invocation: {
          pipeline: 'backfill',
          stage,
          mode: 'range',
          startPath: `${PATHS.plan}.window.start`,
          endPath: `${PATHS.plan}.window.end`,
          ...(stage === 'silver' && { qualityLimits: props.silverQualityLimits }),
        },
        timeout: props.rangeStepTimeouts[stage],
        failedStepRetries: props.failedStepRetries,
      }),
    );
  const silver = rangeStep('silver', 'Silver range');
  const gold = rangeStep('gold', 'Gold range');
  const terminate = caught(terminateClusterTask(scope, 'Terminate cluster'));
  const finalize = caught(finalizeTask(scope, 'Finalize', props.finalizeFunction, 'backfill', 'SUCCEEDED', BACKFILL_PATHS.outcome));
  const release = releaseLockTask(scope, 'Release lock', props.table);
  const anyChunkFailed = new sfn.Choice(scope, 'Any chunk failed?');
  const chunksFailed = new sfn.Fail(scope, 'Chunks failed', {
    error: BACKFILL_CHUNKS_FAILED,
    causePath: `${BACKFILL_PATHS.outcome}.cause`,
    comment: 'The good chunks went through Silver and Gold; the cause names the failed chunks and the input that reruns them.',
  });
  const done = new sfn.Succeed(scope, 'Backfill succeeded', { outputPath: BACKFILL_PATHS.outcome });
  // A file Bronze could not read is skipped, not counted as empty: the run still succeeds with the day's
  // other files (a corrupt file in OpenAQ's archive would otherwise fail every rerun, and a catch-up would
  // never move the watermark), but never silently: finalize lists the files and this notice names them.
  const notifyUnreadable = new tasks.SnsPublish(scope, 'Notify unreadable source files', {
    topic: props.topic,
    subject: 'aqi-pipeline backfill could not read some archive files',
    // backfill-finalize's notice (core/backfill/unreadable-sources.ts): files, reasons, retry inputs, manifest.
    message: sfn.TaskInput.fromJsonPathAt(`${BACKFILL_PATHS.outcome}.unreadableSources`),
    taskTimeout: sfn.Timeout.duration(Duration.seconds(30)),
    resultPath: sfn.JsonPath.DISCARD,
  });
  // The files are in the manifest and the metric whatever happens to the notice: its failure is recorded
  // and the run ends with the outcome finalize recorded.
  notifyUnreadable.addCatch(anyChunkFailed, { errors: ['States.ALL'], resultPath: BACKFILL_PATHS.unreadableNoticeFailed });
  const anyUnreadable = new sfn.Choice(scope, 'Any unreadable source files?')
    .when(sfn.Condition.isPresent(`${BACKFILL_PATHS.outcome}.unreadableSources`), notifyUnreadable.next(anyChunkFailed))
    .otherwise(anyChunkFailed);

  const skipOr = (stage: 'bronze' | 'silver' | 'gold', run: sfn.IChainable, next: sfn.IChainable) =>
    new sfn.Choice(scope, `Run ${stage}?`).when(sfn.Condition.booleanEquals(skipPath(stage), true), next).otherwise(run);

  // As in the hourly run: a lock that expired and was taken over stays with its new holder and this run's
  // recorded outcome stands; any other failure to release goes through the teardown (which retries it).
  release.addCatch(anyUnreadable, { errors: [LOCK_HELD_ERROR], resultPath: '$.lockReleaseSkipped' });
  release.addCatch(teardown.afterClusterEntry, { errors: ['States.ALL'], resultPath: PATHS.error });
  anyChunkFailed.when(sfn.Condition.stringEquals(`${BACKFILL_PATHS.outcome}.status`, 'FAILED'), chunksFailed).otherwise(done);
  terminate.next(finalize).next(release).next(anyUnreadable);
  const goldStage = skipOr('gold', gold.next(terminate), terminate);
  const silverStage = skipOr('silver', silver.next(goldStage), goldStage);
  const chunks = caught(props.chunksMap);
  const bronzeStage = skipOr('bronze', chunks.next(fanIn).next(silverStage), silverStage);

  return plan.next(initSteps).next(acquireLockOrSkip(scope, props.table, 'backfill', create.next(bronzeStage)));
}
