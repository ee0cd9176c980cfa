import { type CfnElement, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { BackfillWorkflow } from './backfill-workflow';
import { RUNS_PREFIX } from '../lambdas/shared/layout';
import { acknowledgeBackfillWorkflow, acknowledgeEmrStateMachine, IMPORTED_ARN, s3GrantFindings, TABLE_KMS_FINDINGS } from './compliance';
import type { PipelineConfig } from './config';
import { EmrRuntime } from './emr-runtime';
import { HourlyWorkflow, hourlyExecutionTimeout } from './hourly-workflow';
import { METRICS_NAMESPACE, PipelineMonitoring } from './monitoring';
import { PipelineNetwork } from './network';
import { PipelineFunction } from './pipeline-functions';
import type { SparkJobsPackage, StageArgsContext } from './workflow/stage-args';

/** The data-lake stack's resources, handed over as typed props. */
export interface DataLakeResources {
  readonly key: kms.IKey;
  readonly lakeBucket: s3.IBucket;
  readonly artifactsBucket: s3.IBucket;
  readonly logsBucket: s3.IBucket;
  readonly table: dynamodb.ITable;
  readonly sparkJobs: SparkJobsPackage;
  /** The EMR `LogUri` prefix inside the logs bucket. */
  readonly emrLogPrefix: string;
}

export interface PipelineStackProps extends StackProps {
  readonly config: PipelineConfig;
  readonly lake: DataLakeResources;
}

/** The execution status changes after which the janitor cleans up (Catch does not run on the last two). */
export const JANITOR_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'] as const;

/**
 * The stateless half: networking, EMR roles and security configuration, the Lambdas, the hourly state
 * machine and its schedule, the janitor rule, the SNS topic, alarms and dashboard. Safe to destroy and
 * redeploy; all data lives in the data-lake stack.
 *
 * The backfill workflow (lib/backfill-workflow.ts) is built from the same members: `emr.blueprint`,
 * `stageContext`, `functions`, `topic`; `watchStateMachine(sm)` puts it under the janitor and alarms.
 */
export class PipelineStack extends Stack {
  readonly emr: EmrRuntime;
  readonly stageContext: StageArgsContext;
  readonly topic: sns.Topic;
  readonly functions: {
    readonly planHourly: PipelineFunction;
    readonly finalize: PipelineFunction;
    readonly cancelSteps: PipelineFunction;
    readonly janitor: PipelineFunction;
  };
  readonly hourly: HourlyWorkflow;
  readonly backfill: BackfillWorkflow;
  readonly monitoring: PipelineMonitoring;
  private readonly janitorRule: events.Rule;
  private readonly topicKey: kms.IKey;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const { config, lake } = props;

    const network = new PipelineNetwork(this, 'Network', config.network);
    this.emr = new EmrRuntime(this, 'Emr', {
      config,
      key: lake.key,
      lakeBucket: lake.lakeBucket,
      artifactsBucket: lake.artifactsBucket,
      logsBucket: lake.logsBucket,
      logPrefix: lake.emrLogPrefix,
      subnetIds: network.subnetIds,
    });
    this.stageContext = { sparkJobs: lake.sparkJobs, lakeBucketName: lake.lakeBucket.bucketName };

    this.topicKey = lake.key;
    this.topic = new sns.Topic(this, 'Notifications', {
      displayName: 'aqi-pipeline notifications',
      masterKey: lake.key,
      enforceSSL: true,
    });
    if (config.notificationEmail !== '') {
      this.topic.addSubscription(new subscriptions.EmailSubscription(config.notificationEmail));
    }
    // CloudWatch alarms publish to the encrypted topic.
    lake.key.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');

    const lockTtl = hourlyExecutionTimeout(config).plus(Duration.minutes(15));
    const tableEnv = { TABLE_NAME: lake.table.tableName };
    const planHourly = new PipelineFunction(this, 'PlanHourly', {
      name: 'plan-hourly',
      description: 'Plans an hourly run: window from the watermark, run id, lock times',
      environment: {
        ...tableEnv,
        LATE_DATA_MARGIN_HOURS: String(config.hourly.lateDataMarginHours),
        MAX_WINDOW_HOURS: String(config.hourly.maxWindowHours),
        LOCK_TTL_SECONDS: String(lockTtl.toSeconds()),
      },
      acknowledgements: TABLE_KMS_FINDINGS,
    });
    lake.table.grantReadData(planHourly);

    const finalize = new PipelineFunction(this, 'Finalize', {
      name: 'finalize',
      description: 'Writes the run manifest, publishes metrics, advances the hourly watermark',
      timeout: Duration.minutes(2),
      environment: {
        ...tableEnv,
        LAKE_BUCKET: lake.lakeBucket.bucketName,
        EMR_LOG_URI: this.emr.blueprint.logUri,
        METRICS_NAMESPACE,
      },
      acknowledgements: {
        ...TABLE_KMS_FINDINGS,
        ...s3GrantFindings('runs/* of the lake bucket (stage results in, manifests out)'),
        [`AwsSolutions-IAM5[Resource::${IMPORTED_ARN.lakeBucket}/${RUNS_PREFIX}*]`]:
          'Manifests and stage results live under runs/<pipeline>/<runId>/, created per run',
      },
    });
    lake.lakeBucket.grantReadWrite(finalize, `${RUNS_PREFIX}*`);
    lake.table.grantReadWriteData(finalize);
    finalize.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': METRICS_NAMESPACE } },
      }),
    );

    const cancelSteps = new PipelineFunction(this, 'CancelSteps', {
      name: 'cancel-steps',
      description: 'Cancels the PENDING and RUNNING steps of a failing run\'s cluster',
      acknowledgements: {
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:elasticmapreduce:<AWS::Region>:<AWS::AccountId>:cluster/*]':
          'Clusters are created per execution; their ids are unknown at deploy time',
      },
    });
    cancelSteps.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['elasticmapreduce:ListSteps', 'elasticmapreduce:CancelSteps'],
        resources: [this.formatArn({ service: 'elasticmapreduce', resource: 'cluster', resourceName: '*' })],
      }),
    );

    const janitor = new PipelineFunction(this, 'Janitor', {
      name: 'janitor',
      description: 'Terminates clusters tagged with a failed, timed-out or aborted execution and releases its lock',
      timeout: Duration.minutes(5),
      environment: tableEnv,
      acknowledgements: {
        ...TABLE_KMS_FINDINGS,
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:elasticmapreduce:<AWS::Region>:<AWS::AccountId>:cluster/*]':
          'The janitor terminates clusters created per execution; their ids are unknown at deploy time',
      },
    });
    lake.table.grantReadWriteData(janitor);
    janitor.addToRolePolicy(
      new iam.PolicyStatement({
        // ListClusters has no resource-level permissions.
        actions: ['elasticmapreduce:ListClusters'],
        resources: ['*'],
      }),
    );
    janitor.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['elasticmapreduce:DescribeCluster', 'elasticmapreduce:TerminateJobFlows'],
        resources: [this.formatArn({ service: 'elasticmapreduce', resource: 'cluster', resourceName: '*' })],
      }),
    );
    this.functions = { planHourly, finalize, cancelSteps, janitor };

    this.hourly = new HourlyWorkflow(this, 'Hourly', {
      config,
      functions: this.functions,
      table: lake.table,
      topic: this.topic,
      cluster: this.emr.blueprint,
      stageContext: this.stageContext,
    });

    acknowledgeEmrStateMachine(
      this.hourly.stateMachine,
      Object.values(this.functions).map((fn) => this.getLogicalId(fn.node.defaultChild as CfnElement)),
    );

    new scheduler.Schedule(this, 'HourlySchedule', {
      description: `Starts the hourly run at minute ${config.scheduleMinute} of every hour`,
      schedule: scheduler.ScheduleExpression.cron({ minute: String(config.scheduleMinute), timeZone: undefined }),
      target: new schedulerTargets.StepFunctionsStartExecution(this.hourly.stateMachine, {
        input: scheduler.ScheduleTargetInput.fromObject({ scheduledTime: scheduler.ContextAttribute.scheduledTime }),
        retryAttempts: 3,
      }),
    });

    this.janitorRule = new events.Rule(this, 'JanitorRule', {
      description: 'Cleans up after pipeline executions that failed, timed out or were aborted',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { status: [...JANITOR_STATUSES], stateMachineArn: [this.hourly.stateMachine.stateMachineArn] },
      },
      targets: [new targets.LambdaFunction(janitor, { retryAttempts: 4, maxEventAge: Duration.hours(2) })],
    });

    this.monitoring = new PipelineMonitoring(this, 'Monitoring', {
      topic: this.topic,
      hourly: this.hourly.stateMachine,
      noSuccessHours: config.hourly.noSuccessAlarmHours,
    });
    // Publishing to a KMS-encrypted topic needs the key as well as sns:Publish.
    this.topicKey.grant(this.hourly.stateMachine, 'kms:Decrypt', 'kms:GenerateDataKey*');

    this.backfill = new BackfillWorkflow(this, 'Backfill', {
      config,
      blueprint: this.emr.blueprint,
      stageArgs: this.stageContext,
      lakeBucket: lake.lakeBucket,
      artifactsBucket: lake.artifactsBucket,
      table: lake.table,
      topic: this.topic,
      cancelStepsFunction: cancelSteps,
      janitorFunction: janitor,
    });
    this.watchStateMachine('Backfill', this.backfill.stateMachine);
    acknowledgeBackfillWorkflow(
      this.backfill,
      this.backfill.stateMachine,
      this.node
        .findAll()
        .filter((c): c is PipelineFunction => c instanceof PipelineFunction)
        .map((fn) => this.getLogicalId(fn.node.defaultChild as CfnElement)),
      this.getLogicalId(this.backfill.stateMachine.node.defaultChild as CfnElement),
    );
  }

  /**
   * Puts another pipeline state machine (the backfill) under the janitor and the failure alarm, and lets
   * its teardown publish to the encrypted topic.
   */
  watchStateMachine(label: string, stateMachine: sfn.StateMachine): void {
    this.janitorRule.addEventPattern({ detail: { stateMachineArn: [stateMachine.stateMachineArn] } });
    this.monitoring.watch(label, stateMachine);
    this.topicKey.grant(stateMachine, 'kms:Decrypt', 'kms:GenerateDataKey*');
  }
}
