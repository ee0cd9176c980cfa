import { Duration } from 'aws-cdk-lib';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';

/**
 * EMR API throttling. Step Functions reports EMR's `ThrottlingException` under the service prefix, and
 * "Rate exceeded" under the generic `AmazonElasticMapReduceException`; both are raised before EMR accepts
 * the request, so retrying cannot start a second step or cluster. Never `States.ALL`: a step that failed
 * must not be retried blindly (see `failedStepRetry`).
 */
export const EMR_THROTTLING_ERRORS = [
  'ElasticMapReduce.ThrottlingException',
  'ElasticMapReduce.AmazonElasticMapReduceException',
] as const;

export function emrApiRetry(): sfn.RetryProps {
  return {
    errors: [...EMR_THROTTLING_ERRORS],
    interval: Duration.seconds(5),
    maxAttempts: 5,
    backoffRate: 2,
  };
}

/**
 * A step that ran and failed (`States.TaskFailed` from `addStep.sync`). Safe to re-run because every
 * stage write is idempotent (MERGE on natural keys); timeouts are not retried, they go to teardown.
 */
export function failedStepRetry(attempts: number): sfn.RetryProps {
  return { errors: ['States.TaskFailed'], interval: Duration.seconds(30), maxAttempts: attempts, backoffRate: 2 };
}

/** Throttling of the DynamoDB lock table (on-demand, so only a burst could hit it). */
export const DYNAMODB_THROTTLING_ERRORS = [
  'DynamoDB.ProvisionedThroughputExceededException',
  'DynamoDB.RequestLimitExceeded',
  'DynamoDB.ThrottlingException',
] as const;

export function dynamoRetry(): sfn.RetryProps {
  return { errors: [...DYNAMODB_THROTTLING_ERRORS], interval: Duration.seconds(2), maxAttempts: 4, backoffRate: 2 };
}
