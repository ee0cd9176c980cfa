import { CfnOutput, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { dashboardConsoleUrl, stateMachineConsoleUrl } from './console-urls';

/**
 * The output keys of the pipeline stack, as `cdk deploy` prints them and
 * `aws cloudformation describe-stacks --stack-name AqiPipeline` lists them.
 */
export const PIPELINE_OUTPUTS = {
  hourlyStateMachineArn: 'HourlyStateMachineArn',
  hourlyConsoleUrl: 'HourlyStateMachineConsoleUrl',
  backfillStateMachineArn: 'BackfillStateMachineArn',
  backfillConsoleUrl: 'BackfillStateMachineConsoleUrl',
  dashboardUrl: 'DashboardUrl',
  topicArn: 'NotificationTopicArn',
  lakeBucketName: 'LakeBucketName',
} as const;

export interface PipelineOutputsProps {
  readonly hourly: sfn.IStateMachine;
  readonly backfill: sfn.IStateMachine;
  readonly dashboard: cloudwatch.Dashboard;
  readonly topic: sns.ITopic;
  readonly lakeBucket: s3.IBucket;
}

/** What an operator needs after a deploy: where the state machines, dashboard, topic and data are. */
export function addPipelineOutputs(scope: Construct, props: PipelineOutputsProps): void {
  const region = Stack.of(scope).region;
  const output = (id: string, value: string, description: string) => new CfnOutput(scope, id, { value, description });
  output(PIPELINE_OUTPUTS.hourlyStateMachineArn, props.hourly.stateMachineArn, 'The hourly state machine');
  output(PIPELINE_OUTPUTS.hourlyConsoleUrl, stateMachineConsoleUrl(region, props.hourly.stateMachineArn), 'Its executions in the console');
  output(PIPELINE_OUTPUTS.backfillStateMachineArn, props.backfill.stateMachineArn, 'The backfill state machine (npx aqi-pipeline backfill start)');
  output(PIPELINE_OUTPUTS.backfillConsoleUrl, stateMachineConsoleUrl(region, props.backfill.stateMachineArn), 'Its executions in the console');
  output(PIPELINE_OUTPUTS.dashboardUrl, dashboardConsoleUrl(region, props.dashboard.dashboardName), 'The operations dashboard');
  output(PIPELINE_OUTPUTS.topicArn, props.topic.topicArn, 'Failure and alarm notifications: subscribe here');
  output(PIPELINE_OUTPUTS.lakeBucketName, props.lakeBucket.bucketName, 'The lake: Iceberg warehouse and run manifests under runs/');
}
