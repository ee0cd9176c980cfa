import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Duration } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { CHUNK_ID_SEPARATOR } from '../../core/backfill/chunks';
import { lambdaTask } from './lambda-task';
import type { ArchiveSource, StageArgsContext, StageInvocation } from './stage-args';
import { stageStepName, stageStepTask } from './stage-step';
import { PATHS } from './state-paths';

/** Where a chunk iteration keeps its data: its own small state, not the parent's. */
export const CHUNK_PATHS = {
  chunkId: '$.chunkId',
  start: '$.start',
  end: '$.end',
  runId: '$.runId',
  clusterId: '$.clusterId',
  locationsUri: '$.locationsUri',
  executorsPerStep: '$.executorsPerStep',
  step: '$.step',
  failure: '$.failure',
  cancelFailure: '$.cancelFailure',
} as const;

/** `$.plan` fields the Map reads. */
export const BACKFILL_PLAN_PATHS = {
  chunkIds: `${PATHS.plan}.chunkIds`,
  stepConcurrency: `${PATHS.plan}.cluster.stepConcurrency`,
  executorsPerStep: `${PATHS.plan}.cluster.executorsPerStep`,
  locationsUri: `${PATHS.plan}.locationsUri`,
} as const;

/** The Spark property that caps a Bronze chunk step's executors at the plan's `executorsPerStep`. */
export const MAX_EXECUTORS_PROPERTY = 'spark.dynamicAllocation.maxExecutors';

export interface BronzeChunksMapProps {
  readonly context: StageArgsContext;
  readonly archive: ArchiveSource;
  readonly bronzeTimeout: Duration;
  readonly failedStepRetries: number;
  /** lambdas/backfill-record-chunk */
  readonly recordChunkFunction: lambda.IFunction;
  /** lambdas/cancel-steps: cancels a timed-out chunk's step by name */
  readonly cancelStepsFunction: lambda.IFunction;
}

/**
 * One Bronze EMR step per chunk, as many at once as the cluster's step concurrency.
 *
 * A Distributed Map because its iterations are child executions with their own histories: an inline
 * Map would put every iteration's events (about 13 each, more with retries) into the parent's 25,000-event
 * history, which three years of daily chunks would exceed. Items are the chunk ids from the plan (no
 * `ItemReader`, which the local interpreter lacks); each iteration splits its id into the window with
 * `States.StringSplit`. Results are discarded (`ResultPath: null`): each step writes its result to S3 and
 * each iteration records its step id or error there, which is what the fan-in Lambda reads.
 *
 * A failed or timed-out chunk is caught inside its iteration and recorded; the iteration succeeds, so
 * the Map goes on with the other chunks. A timed-out chunk's step is first cancelled by name (a timeout
 * hands back no step id): left running, it would hold one of the cluster's step-concurrency slots, and
 * the chunks queued behind it would spend their own timeouts waiting.
 *
 * Each step reads the run's own locations document (the input's `locations` subset, frozen by the plan)
 * and is capped at the plan's executors per step, so the concurrent steps fit the managed-scaling
 * ceiling the plan sized for them.
 */
export function bronzeChunksMap(scope: Construct, id: string, props: BronzeChunksMapProps): sfn.DistributedMap {
  const chunkId = sfn.JsonPath.stringAt('$$.Map.Item.Value');
  const chunkPart = (index: number) => sfn.JsonPath.arrayGetItem(sfn.JsonPath.stringSplit(chunkId, CHUNK_ID_SEPARATOR), index);
  const map = new sfn.DistributedMap(scope, id, {
    itemsPath: BACKFILL_PLAN_PATHS.chunkIds,
    maxConcurrencyPath: BACKFILL_PLAN_PATHS.stepConcurrency,
    itemSelector: {
      chunkId,
      start: chunkPart(0),
      end: chunkPart(1),
      runId: sfn.JsonPath.stringAt(PATHS.runId),
      clusterId: sfn.JsonPath.stringAt(PATHS.clusterId),
      locationsUri: sfn.JsonPath.stringAt(BACKFILL_PLAN_PATHS.locationsUri),
      executorsPerStep: sfn.JsonPath.numberAt(BACKFILL_PLAN_PATHS.executorsPerStep),
    },
    mapExecutionType: sfn.StateMachineType.STANDARD,
    label: 'BronzeChunks',
    resultPath: sfn.JsonPath.DISCARD,
  });

  const invocation: StageInvocation = {
    pipeline: 'backfill',
    stage: 'bronze',
    mode: 'backfill',
    startPath: CHUNK_PATHS.start,
    endPath: CHUNK_PATHS.end,
    chunkIdPath: CHUNK_PATHS.chunkId,
    runIdPath: CHUNK_PATHS.runId,
    source: props.archive,
    locationsUriPath: CHUNK_PATHS.locationsUri,
    sparkConfPaths: { [MAX_EXECUTORS_PROPERTY]: CHUNK_PATHS.executorsPerStep },
  };
  const bronze = stageStepTask(scope, 'Bronze chunk', {
    context: props.context,
    invocation,
    clusterIdPath: CHUNK_PATHS.clusterId,
    timeout: props.bronzeTimeout,
    failedStepRetries: props.failedStepRetries,
    resultPath: CHUNK_PATHS.step,
  });
  const base = { 'runId.$': CHUNK_PATHS.runId, 'chunkId.$': CHUNK_PATHS.chunkId };
  const recordStep = lambdaTask(scope, 'Record chunk step', props.recordChunkFunction, {
    payload: { ...base, 'step.$': CHUNK_PATHS.step },
    resultPath: sfn.JsonPath.DISCARD,
  });
  const recordFailure = lambdaTask(scope, 'Record chunk failure', props.recordChunkFunction, {
    payload: { ...base, 'failure.$': CHUNK_PATHS.failure },
    resultPath: sfn.JsonPath.DISCARD,
  });
  const cancelTimedOut = lambdaTask(scope, 'Cancel timed-out chunk step', props.cancelStepsFunction, {
    payload: { 'clusterId.$': CHUNK_PATHS.clusterId, stepName: stageStepName(invocation) },
    resultPath: sfn.JsonPath.DISCARD,
  });
  // The chunk's own failure is recorded either way; a failed cancel stays in the iteration's history,
  // and the run's teardown cancels every step still active before it terminates the cluster.
  cancelTimedOut.addCatch(recordFailure, { errors: ['States.ALL'], resultPath: CHUNK_PATHS.cancelFailure });
  cancelTimedOut.next(recordFailure);
  bronze.addCatch(cancelTimedOut, { errors: ['States.Timeout'], resultPath: CHUNK_PATHS.failure });
  bronze.addCatch(recordFailure, { errors: ['States.ALL'], resultPath: CHUNK_PATHS.failure });
  map.itemProcessor(bronze.next(recordStep));
  return map;
}
