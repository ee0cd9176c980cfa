import { Match, type Template } from 'aws-cdk-lib/assertions';
import { HOURLY_STATES } from '../../lib/hourly-workflow';
import { type AslDefinition, type AslState, stateMachineDefinition } from '../../local/definition';
import { synthesize } from '../workflow/support/synth';

let template: Template;
let definition: AslDefinition;

beforeAll(() => {
  const synthesized = synthesize();
  template = synthesized.pipelineTemplate;
  definition = stateMachineDefinition(synthesized.pipelineJson, 'Hourly', { exportingTemplates: [synthesized.dataLakeJson] });
});

const state = (name: string): AslState => {
  const found = definition.States[name];
  if (found === undefined) throw new Error(`no state "${name}"`);
  return found;
};

/** Every state reachable from `start` along Next/Default/Choices (not Catch): the run's main path. */
function mainPathFrom(start: string): string[] {
  const seen: string[] = [];
  const pending = [start];
  while (pending.length > 0) {
    const name = pending.shift() as string;
    if (seen.includes(name)) continue;
    seen.push(name);
    const s = state(name);
    const next = [s.Next, s.Default, ...((s.Choices as { Next: string }[] | undefined) ?? []).map((c) => c.Next)];
    for (const n of next) if (typeof n === 'string') pending.push(n);
  }
  return seen;
}

describe('the hourly state machine (synthesized)', () => {
  test('createCluster carries LogUri, the security configuration, private subnets, idle auto-termination and run tags', () => {
    const params = state(HOURLY_STATES.createCluster).Parameters as Record<string, unknown>;
    expect(state(HOURLY_STATES.createCluster).Resource).toBe('arn:aws:states:::elasticmapreduce:createCluster.sync');
    expect(params).toMatchObject({
      ReleaseLabel: 'emr-7.9.0',
      LogUri: 's3://logsbucket/emr/',
      SecurityConfiguration: expect.stringMatching(/^EmrSecurityConfiguration/),
      AutoTerminationPolicy: { IdleTimeout: 1800 },
      Applications: [{ Name: 'Spark' }],
      StepConcurrencyLevel: 1,
    });
    expect((params.Instances as { Ec2SubnetIds: string[] }).Ec2SubnetIds).toEqual([
      expect.stringMatching(/^NetworkVpcemrSubnet1/),
      expect.stringMatching(/^NetworkVpcemrSubnet2/),
    ]);
    expect(params.Tags).toEqual([
      { Key: 'project', Value: 'aqi-pipeline' },
      { Key: 'aqi-pipeline:execution-arn', 'Value.$': '$$.Execution.Id' },
      { Key: 'aqi-pipeline:run-id', 'Value.$': '$.plan.runId' },
      { Key: 'aqi-pipeline:pipeline', Value: 'hourly' },
      { Key: 'for-use-with-amazon-emr-managed-policies', Value: 'true' },
    ]);
  });

  test.each([
    ['bronze', 3600],
    ['silver', 3600],
    ['gold', 1800],
  ] as const)('the %s stage is its own addStep.sync running the Stage CLI, with TimeoutSeconds %i', (stage, timeout) => {
    const step = state(HOURLY_STATES.stage(stage));
    expect(step).toMatchObject({ Resource: 'arn:aws:states:::elasticmapreduce:addStep.sync', TimeoutSeconds: timeout });
    const hadoop = (step.Parameters as { Step: { ActionOnFailure: string; HadoopJarStep: Record<string, string> } }).Step;
    expect(hadoop.ActionOnFailure).toBe('CONTINUE');
    expect(hadoop.HadoopJarStep.Jar).toBe('command-runner.jar');
    expect(hadoop.HadoopJarStep['Args.$']).toMatch(
      new RegExp(`^States\\.Array\\('/usr/local/bin/aqi-spark-submit', .*'s3://artifactsbucket/spark-jobs/entry\\.py', '${stage}', '--run-id', \\$\\.plan\\.runId, `),
    );
  });

  test('step retries cover EMR throttling and failed steps only, never States.ALL', () => {
    for (const stage of ['bronze', 'silver', 'gold'] as const) {
      expect(state(HOURLY_STATES.stage(stage)).Retry).toEqual([
        { ErrorEquals: ['ElasticMapReduce.ThrottlingException', 'ElasticMapReduce.AmazonElasticMapReduceException'], IntervalSeconds: 5, MaxAttempts: 5, BackoffRate: 2 },
        { ErrorEquals: ['States.TaskFailed'], IntervalSeconds: 30, MaxAttempts: 1, BackoffRate: 2 },
      ]);
    }
  });

  test('every Task after createCluster (and createCluster itself) is caught into the teardown', () => {
    const afterCreate = mainPathFrom(HOURLY_STATES.createCluster).filter((name) => state(name).Type === 'Task');
    expect(afterCreate).toEqual([
      'Create cluster',
      'Bronze step',
      'Silver step',
      'Gold step',
      'Terminate cluster',
      'Finalize run',
      'Release lock',
    ]);
    for (const name of afterCreate) {
      const catchers = state(name).Catch as { ErrorEquals: string[]; Next: string; ResultPath: string }[];
      expect({ name, last: catchers.at(-1) }).toEqual({
        name,
        last: {
          ErrorEquals: ['States.ALL'],
          ResultPath: '$.error',
          Next: name === 'Create cluster' ? 'Terminate clusters of this execution' : 'Cancel running steps',
        },
      });
    }
  });

  test('the lock is taken with a conditional PutItem that only succeeds on a free or expired lock', () => {
    expect(state('Acquire lock')).toMatchObject({
      Resource: 'arn:aws:states:::dynamodb:putItem',
      Parameters: {
        TableName: 'PipelineTable',
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
        ExpressionAttributeValues: { ':now': { 'N.$': '$.plan.lock.nowEpoch' } },
        Item: { pk: { S: 'lock' }, holder: { 'S.$': '$$.Execution.Id' }, expiresAt: { 'N.$': '$.plan.lock.expiresAtEpoch' } },
      },
      Catch: [{ ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'], Next: 'Read lock holder', ResultPath: '$.error' }],
    });
    expect(state('Release lock')).toMatchObject({
      Resource: 'arn:aws:states:::dynamodb:deleteItem',
      Parameters: { ConditionExpression: 'holder = :me', ExpressionAttributeValues: { ':me': { 'S.$': '$$.Execution.Id' } } },
    });
  });

  test('the run fails with the original error and cause', () => {
    expect(state('Fail run')).toEqual({ Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' });
  });

  test('the execution timeout covers every stage with its retries plus cluster start and stop', () => {
    // (3600 + 3600 + 1800) s × 2 attempts + 2 × 30 min + 15 min
    expect(definition.TimeoutSeconds).toBe(18_000 + 4500);
  });

  test('logs ALL with execution data and traces with X-Ray', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true },
      TracingConfiguration: { Enabled: true },
    });
  });
});

describe('PipelineStack', () => {
  test('EventBridge Scheduler starts the hourly run at the configured minute, passing the scheduled time', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(15 * * * ? *)',
      Target: { Input: '{"scheduledTime":"<aws.scheduler.scheduled-time>"}', RetryPolicy: { MaximumRetryAttempts: 3 } },
    });
  });

  test('the janitor runs on FAILED, TIMED_OUT and ABORTED executions of the pipeline state machines', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: {
          status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
          stateMachineArn: [{ Ref: Match.stringLikeRegexp('^HourlyStateMachine') }, { Ref: Match.stringLikeRegexp('^BackfillStateMachine') }],
        },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Janitor'), 'Arn'] } })],
    });
  });

  test('the EMR security configuration encrypts S3 and local disks at rest with the lake key', () => {
    template.hasResourceProperties('AWS::EMR::SecurityConfiguration', {
      SecurityConfiguration: {
        EncryptionConfiguration: {
          EnableAtRestEncryption: true,
          AtRestEncryptionConfiguration: {
            S3EncryptionConfiguration: { EncryptionMode: 'SSE-KMS' },
            LocalDiskEncryptionConfiguration: { EncryptionKeyProviderType: 'AwsKms', EnableEbsEncryption: true },
          },
        },
      },
    });
  });

  test('the EMR service role may create key grants only for AWS resources (EBS volumes)', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^EmrServiceRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'kms:CreateGrant', Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } } }),
        ]),
      },
    });
  });

  test('a new VPC has private subnets for EMR, one NAT gateway and an S3 gateway endpoint', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway', ServiceName: Match.objectLike({}) });
    template.hasResourceProperties('AWS::EC2::Subnet', {
      MapPublicIpOnLaunch: false,
      Tags: Match.arrayWith([{ Key: 'for-use-with-amazon-emr-managed-policies', Value: 'true' }]),
    });
  });

  test('every Lambda runs Node.js 22 on arm64 with tracing, and no environment variable holds a secret', () => {
    // Not CDK's own custom-resource providers (runtime chosen by aws-cdk-lib).
    const functions = Object.entries(template.findResources('AWS::Lambda::Function'))
      .filter(([id, f]) => (f.Properties.Runtime as string).startsWith('nodejs') && !id.includes('CustomResourceProvider') && !id.includes('Providerframework'))
      .map(([, f]) => f);
    // plan-hourly, finalize, cancel-steps, janitor; plan-backfill, backfill-record-chunk, fan-in, backfill-finalize;
    // security-group-cleanup
    expect(functions).toHaveLength(9);
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' } });
      const names = Object.keys(fn.Properties.Environment?.Variables ?? {});
      expect(names.filter((n) => /KEY|SECRET|TOKEN|PASSWORD/.test(n) && n !== 'NODE_OPTIONS')).toEqual([]);
    }
  });

  test('alarms on failed executions and on no successful hourly run for 3 hours notify the topic', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      MetricName: 'ExecutionsSucceeded',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^Notifications') }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'failed + timedOut + aborted' })]),
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^Notifications') }],
    });
  });

  test('the freshness alarm fires when the minimum watermark age in an hour exceeds 3 hours, or when no run reports it', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AqiPipeline',
      MetricName: 'WatermarkAgeHours',
      Dimensions: [{ Name: 'Pipeline', Value: 'hourly' }],
      Statistic: 'Minimum',
      Period: 3600,
      Threshold: 3,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^Notifications') }],
    });
  });

  test('the skipped-runs alarm fires after 2 consecutive hours with a run that found the lock held', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'RunSkipped',
      Statistic: 'Sum',
      Period: 3600,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      Threshold: 1,
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^Notifications') }],
    });
  });

  test('every Lambda function has an alarm on its errors', () => {
    // Not CDK's own deploy-time helpers (bucket deployment; the provider that empties the VPC's default
    // security group under @aws-cdk/aws-ec2:restrictDefaultSecurityGroup): they run once per deploy.
    // Nor CDK's Provider framework in front of the security-group cleanup (the cleanup itself is watched).
    const functions = Object.keys(template.findResources('AWS::Lambda::Function')).filter(
      (id) => !id.startsWith('CustomCDKBucketDeployment') && !id.includes('CustomResourceProvider') && !id.startsWith('EmrSecurityGroupCleanupProviderframework'),
    );
    const errorAlarms = Object.values(template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'Errors', Namespace: 'AWS/Lambda' } }));
    const watched = errorAlarms.map((a) => (a.Properties.Dimensions as { Value: { Ref: string } }[])[0]?.Value.Ref).sort();
    expect(functions.length).toBeGreaterThanOrEqual(8);
    expect(watched).toEqual([...functions].sort());
  });

  test('the schedule and the janitor rule send undeliverable events to encrypted dead-letter queues whose depth is alarmed', () => {
    const queues = Object.keys(template.findResources('AWS::SQS::Queue', { Properties: { SqsManagedSseEnabled: true } }));
    const schedule = queues.find((q) => q.startsWith('ScheduleDeadLetters')) as string;
    const janitor = queues.find((q) => q.startsWith('JanitorDeadLetters')) as string;
    template.hasResourceProperties('AWS::Scheduler::Schedule', { Target: Match.objectLike({ DeadLetterConfig: { Arn: { 'Fn::GetAtt': [schedule, 'Arn'] } } }) });
    template.hasResourceProperties('AWS::Events::Rule', { Targets: [Match.objectLike({ DeadLetterConfig: { Arn: { 'Fn::GetAtt': [janitor, 'Arn'] } } })] });
    for (const queue of [schedule, janitor]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }],
        Threshold: 1,
        AlarmActions: [{ Ref: Match.stringLikeRegexp('^Notifications') }],
      });
    }
  });

  test.each(['HourlyStateMachineRole', 'BackfillStateMachineRole'])('%s may use the topic key, so failure notices reach the encrypted topic', (role) => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp(`^${role}`) }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] })]),
      },
    });
  });

  test('the notification topic is encrypted and only accepts TLS', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });
});
