import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';

export interface LambdaTaskProps {
  /** An object with `.$` keys. @default - the whole state input is the payload */
  readonly payload?: Record<string, unknown>;
  readonly resultPath: string;
  /** @default 2 minutes */
  readonly timeout?: Duration;
}

/**
 * A Lambda task whose output is the function's return value (no invoke envelope). CDK adds the retry
 * of Lambda service errors (`Lambda.ServiceException` & co.); function errors are not retried: they
 * carry a named error the workflow routes on.
 */
export function lambdaTask(scope: Construct, id: string, fn: lambda.IFunction, props: LambdaTaskProps): tasks.LambdaInvoke {
  return new tasks.LambdaInvoke(scope, id, {
    lambdaFunction: fn,
    payload: props.payload === undefined ? undefined : sfn.TaskInput.fromObject(props.payload),
    payloadResponseOnly: true,
    retryOnServiceExceptions: true,
    taskTimeout: sfn.Timeout.duration(props.timeout ?? Duration.minutes(2)),
    resultPath: props.resultPath,
  });
}
