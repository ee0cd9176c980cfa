import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { BackfillWorkflow } from '../../lib/backfill-workflow';
import { parsePipelineConfig } from '../../lib/config';
import { type AslDefinition, type CfnTemplate, stateMachineDefinition } from '../../local/definition';

/** The backfill workflow in a stack of its own, over the `cdk.json` defaults. */
export function synthBackfill(context: Record<string, unknown> = {}): { stack: Stack; template: Template; workflow: BackfillWorkflow } {
  // No bundling: the tests read the definition, not the Lambda code (which the local interpreter runs from source).
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'BackfillUnderTest', { env: { account: '111122223333', region: 'us-east-1' } });
  const config = parsePipelineConfig({ locations: [{ id: 2178, name: 'Del Norte', timezone: 'America/Denver' }], ...context }, { releaseLabel: 'emr-7.9.0' });
  const role = (id: string, service: string) => new iam.Role(stack, id, { assumedBy: new iam.ServicePrincipal(service) });
  const lakeBucket = new s3.Bucket(stack, 'Lake');
  const artifactsBucket = new s3.Bucket(stack, 'Artifacts');
  const fn = (id: string) => lambda.Function.fromFunctionArn(stack, id, `arn:aws:lambda:us-east-1:111122223333:function:${id}`);
  const workflow = new BackfillWorkflow(stack, 'Backfill', {
    config,
    blueprint: {
      releaseLabel: config.emr.releaseLabel,
      primaryInstanceType: config.emr.primaryInstanceType,
      coreInstanceType: config.emr.coreInstanceType,
      coreInstanceCount: config.emr.coreInstanceCount,
      idleTimeout: Duration.seconds(config.emr.idleTimeoutSeconds),
      logUri: 's3://aqi-logs/emr/',
      securityConfigurationName: 'aqi-at-rest',
      subnetIds: ['subnet-0abc1234'],
      serviceRole: role('EmrService', 'elasticmapreduce.amazonaws.com'),
      instanceRole: role('EmrInstance', 'ec2.amazonaws.com'),
      bootstrap: { scriptUri: 's3://aqi-artifacts/spark-jobs/emr/bootstrap.sh', filesPrefixUri: 's3://aqi-artifacts/spark-jobs/emr/' },
    },
    stageArgs: {
      lakeBucketName: 'aqi-lake',
      sparkJobs: { bucketName: 'aqi-artifacts', packageKey: 'spark-jobs/aqi_jobs.zip', entryKey: 'spark-jobs/entry.py', locationsKey: 'config/locations.json', emrFilesPrefix: 'spark-jobs/emr/' },
    },
    lakeBucket,
    artifactsBucket,
    table: new dynamodb.Table(stack, 'State', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } }),
    topic: new sns.Topic(stack, 'Alerts'),
    cancelStepsFunction: fn('cancel-steps'),
    janitorFunction: fn('janitor'),
  });
  return { stack, template: Template.fromStack(stack), workflow };
}

/** The backfill state machine's ASL as a deployment would hold it, resolved by the local runtime's resolver. */
export function backfillDefinitionOf(template: Template): AslDefinition {
  return stateMachineDefinition(template.toJSON() as CfnTemplate, 'BackfillStateMachine');
}
