import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { Pipeline } from '../../core/layout';
import { dynamoRetry } from './retries';
import { PATHS } from './state-paths';

/** The one lake-wide lock item (docs/ARCHITECTURE.md, "Lock and watermarks"). */
export const LOCK_KEY = 'lock';
/** What Step Functions raises when the conditional write finds the lock held. */
export const LOCK_HELD_ERROR = 'DynamoDB.ConditionalCheckFailedException';

const DYNAMO_TASK_TIMEOUT = sfn.Timeout.duration(Duration.seconds(30));
const lockKey = { pk: tasks.DynamoAttributeValue.fromString(LOCK_KEY) };

/**
 * `PutItem` with `attribute_not_exists(pk) OR expiresAt < :now`: takes a free or expired lock, raises
 * `LOCK_HELD_ERROR` otherwise. The holder is the execution ARN; times come from the plan
 * (`$.plan.lock`), because Step Functions has no intrinsic for "now" in epoch seconds.
 */
export function acquireLockTask(scope: Construct, id: string, table: dynamodb.ITable, pipeline: Pipeline): tasks.DynamoPutItem {
  const task = new tasks.DynamoPutItem(scope, id, {
    table,
    item: {
      ...lockKey,
      holder: tasks.DynamoAttributeValue.fromString(sfn.JsonPath.executionId),
      runId: tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt(PATHS.runId)),
      pipeline: tasks.DynamoAttributeValue.fromString(pipeline),
      acquiredAt: tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt(PATHS.lockAcquiredAt)),
      expiresAt: tasks.DynamoAttributeValue.numberFromString(sfn.JsonPath.stringAt(PATHS.lockExpiresAtEpoch)),
    },
    conditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
    expressionAttributeValues: {
      ':now': tasks.DynamoAttributeValue.numberFromString(sfn.JsonPath.stringAt(PATHS.lockNowEpoch)),
    },
    taskTimeout: DYNAMO_TASK_TIMEOUT,
    resultPath: sfn.JsonPath.DISCARD,
  });
  task.addRetry(dynamoRetry());
  return task;
}

/** `DeleteItem` with `holder = :me`, so a run can never release a lock another execution took over. */
export function releaseLockTask(scope: Construct, id: string, table: dynamodb.ITable): tasks.DynamoDeleteItem {
  const task = new tasks.DynamoDeleteItem(scope, id, {
    table,
    key: lockKey,
    conditionExpression: 'holder = :me',
    expressionAttributeValues: { ':me': tasks.DynamoAttributeValue.fromString(sfn.JsonPath.executionId) },
    taskTimeout: DYNAMO_TASK_TIMEOUT,
    resultPath: sfn.JsonPath.DISCARD,
  });
  task.addRetry(dynamoRetry());
  return task;
}

/**
 * Acquire the lock, then continue with `next`; if another run holds it, end the execution as
 * *skipped*, naming the holder. Nothing is lost: the next run plans from the watermark.
 *
 * Returns the acquire task (the chain's start). The skipped branch: `Read lock holder` (GetItem) →
 * [`options.recordSkipped`, e.g. the hourly finalize counting the skip] → `Lock still held?` → `Skipped`
 * (Pass building `{ status: 'SKIPPED', runId, heldBy }`) → `Skip run` (Succeed).
 */
export function acquireLockOrSkip(
  scope: Construct,
  table: dynamodb.ITable,
  pipeline: Pipeline,
  next: sfn.IChainable,
  options: { recordSkipped?: sfn.TaskStateBase } = {},
): tasks.DynamoPutItem {
  const acquire = acquireLockTask(scope, 'Acquire lock', table, pipeline);
  const readHolder = new tasks.DynamoGetItem(scope, 'Read lock holder', {
    table,
    key: lockKey,
    consistentRead: true,
    taskTimeout: DYNAMO_TASK_TIMEOUT,
    resultPath: PATHS.lockHolder,
  });
  readHolder.addRetry(dynamoRetry());
  const done = new sfn.Succeed(scope, 'Skip run', { comment: 'Another run holds the lock; the next run starts from the watermark.' });
  const skippedHeld = new sfn.Pass(scope, 'Skipped: lock held', {
    parameters: {
      status: 'SKIPPED',
      reason: 'another run holds the pipeline lock',
      'runId.$': PATHS.runId,
      heldBy: {
        'holder.$': `${PATHS.lockHolder}.Item.holder.S`,
        'runId.$': `${PATHS.lockHolder}.Item.runId.S`,
        'pipeline.$': `${PATHS.lockHolder}.Item.pipeline.S`,
        'acquiredAt.$': `${PATHS.lockHolder}.Item.acquiredAt.S`,
      },
    },
  });
  const skippedGone = new sfn.Pass(scope, 'Skipped: lock released meanwhile', {
    parameters: {
      status: 'SKIPPED',
      reason: 'the lock was held when this run tried to take it and released right after; the next run covers this window',
      'runId.$': PATHS.runId,
      heldBy: null,
    },
  });
  const heldChoice = new sfn.Choice(scope, 'Lock still held?')
    .when(sfn.Condition.isPresent(`${PATHS.lockHolder}.Item`), skippedHeld.next(done))
    .otherwise(skippedGone.next(done));
  const afterRead = options.recordSkipped ? options.recordSkipped.next(heldChoice) : heldChoice;
  acquire.addCatch(readHolder.next(afterRead), { errors: [LOCK_HELD_ERROR], resultPath: PATHS.error });
  acquire.next(next);
  return acquire;
}
