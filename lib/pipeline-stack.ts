import { ArnFormat, type CfnElement, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { BackfillWorkflow } from './backfill-workflow';
import { acknowledgeBackfillWorkflow, acknowledgeDeadLetterQueue, acknowledgeEmrStateMachine } from './compliance';
import type { PipelineConfig } from './config';
import type { DataLakeResources } from './data-lake-resources';
import { confineToPipelineClusters } from './emr-access';
import { tagCostAllocation } from './cost-allocation-tags';
import { EmrRuntime } from './emr-runtime';
import { HourlyWorkflow } from './hourly-workflow';
import { PipelineMonitoring } from './monitoring';
import { PipelineNetwork } from './network';
import { EmrSecurityGroupCleanup } from './security-group-cleanup';
import { PipelineFunction } from './pipeline-functions';
import { createRunCleanupFunctions, type RunCleanupFunctions } from './run-cleanup-functions';
import { addPipelineOutputs } from './stack-outputs';
import type { StageArgsContext } from './workflow/stage-args';

export interface PipelineStackProps extends StackProps {
  readonly config: PipelineConfig;
  readonly lake: DataLakeResources;
}

/**
 * Where EventBridge puts an event it could not deliver after its retries (the schedule's start of the
 * hourly run, the janitor's status change); SQS-managed encryption, TLS only, kept the SQS maximum.
 */
function deadLetterQueue(scope: Construct, id: string): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  acknowledgeDeadLetterQueue(queue);
  return queue;
}

/** The execution status changes after which the janitor cleans up (Catch does not run on the last two). */
export const JANITOR_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'] as const;

/**
 * The stateless half: networking, EMR roles and security configuration, the Lambdas, the hourly state
 * machine and its schedule, the janitor rule, the SNS topic, alarms and dashboard. Safe to destroy and
 * redeploy; all data lives in the data-lake stack.
 *
 * Each workflow builds its own Lambdas (lib/hourly-workflow.ts, lib/backfill-workflow.ts) from the same
 * members: `emr.blueprint`, `stageContext`, `runCleanup`, `topic`; `watchStateMachine(sm)` puts the
 * backfill under the janitor and alarms.
 */
export class PipelineStack extends Stack {
  readonly emr: EmrRuntime;
  readonly stageContext: StageArgsContext;
  readonly topic: sns.Topic;
  readonly runCleanup: RunCleanupFunctions;
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
      vpc: network.vpc,
      sparkJobs: lake.sparkJobs,
    });
    const { securityGroups } = this.emr.blueprint;
    if (securityGroups !== undefined) {
      new EmrSecurityGroupCleanup(this, 'EmrSecurityGroupCleanup', {
        vpc: network.vpc,
        groupIds: [securityGroups.primary, securityGroups.core, securityGroups.serviceAccess],
        removeEmrDefaultGroups: network.ownsVpc,
      });
    }
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
    // CloudWatch alarms publish to the encrypted topic; only this account's alarms (confused deputy).
    lake.key.grant(
      new iam.ServicePrincipal('cloudwatch.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': this.account },
        ArnLike: { 'aws:SourceArn': this.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
      }),
      'kms:Decrypt',
      'kms:GenerateDataKey*',
    );

    this.runCleanup = createRunCleanupFunctions(this, { table: lake.table });
    const { cancelSteps, janitor } = this.runCleanup;

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
    this.hourly = new HourlyWorkflow(this, 'Hourly', {
      config,
      table: lake.table,
      lakeBucket: lake.lakeBucket,
      cancelStepsFunction: cancelSteps,
      janitorFunction: janitor,
      topic: this.topic,
      cluster: this.emr.blueprint,
      stageContext: this.stageContext,
      backfill: this.backfill.stateMachine,
    });

    const hourlyFunctions = [...Object.values(this.hourly.functions), cancelSteps, janitor];
    // Every function, whoever built it: each gets an error alarm and a line on the dashboard.
    const functions = this.node.findAll().filter((c): c is PipelineFunction => c instanceof PipelineFunction);
    const logicalIdOf = (fn: PipelineFunction) => this.getLogicalId(fn.node.defaultChild as CfnElement);

    confineToPipelineClusters(this.hourly.stateMachine);
    acknowledgeEmrStateMachine(this.hourly.stateMachine, hourlyFunctions.map(logicalIdOf));

    const scheduleDeadLetters = deadLetterQueue(this, 'ScheduleDeadLetters');
    const janitorDeadLetters = deadLetterQueue(this, 'JanitorDeadLetters');
    new scheduler.Schedule(this, 'HourlySchedule', {
      description: `Starts the hourly run at minute ${config.scheduleMinute} of every hour`,
      enabled: config.scheduleEnabled,
      schedule: scheduler.ScheduleExpression.cron({ minute: String(config.scheduleMinute), timeZone: undefined }),
      target: new schedulerTargets.StepFunctionsStartExecution(this.hourly.stateMachine, {
        input: scheduler.ScheduleTargetInput.fromObject({ scheduledTime: scheduler.ContextAttribute.scheduledTime }),
        retryAttempts: 3,
        deadLetterQueue: scheduleDeadLetters,
      }),
    });

    this.janitorRule = new events.Rule(this, 'JanitorRule', {
      description: 'Cleans up after pipeline executions that failed, timed out or were aborted',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { status: [...JANITOR_STATUSES], stateMachineArn: [this.hourly.stateMachine.stateMachineArn] },
      },
      targets: [new targets.LambdaFunction(janitor, { retryAttempts: 4, maxEventAge: Duration.hours(2), deadLetterQueue: janitorDeadLetters })],
    });

    this.monitoring = new PipelineMonitoring(this, 'Monitoring', {
      dashboardName: `${this.stackName}-${this.region}`,
      topic: this.topic,
      hourly: this.hourly.stateMachine,
      noSuccessHours: config.hourly.noSuccessAlarmHours,
      freshnessHours: config.hourly.freshnessAlarmHours,
      skippedRunsHours: config.hourly.skippedRunsAlarmHours,
    });
    this.monitoring.watchDeadLetterQueue('ScheduleDeadLetters', scheduleDeadLetters, 'A start of the hourly run');
    this.monitoring.watchDeadLetterQueue('JanitorDeadLetters', janitorDeadLetters, 'An execution status change for the janitor');
    // Publishing to a KMS-encrypted topic needs the key as well as sns:Publish.
    this.topicKey.grant(this.hourly.stateMachine, 'kms:Decrypt', 'kms:GenerateDataKey*');

    this.watchStateMachine('Backfill', this.backfill.stateMachine);
    for (const fn of functions) this.monitoring.watchFunction(fn.node.id, fn);

    tagCostAllocation(this, 'shared');
    // The hourly functions live in the stack, not under the hourly construct (lib/hourly-workflow.ts).
    for (const hourlyOnly of [this.hourly, ...Object.values(this.hourly.functions).flatMap((fn) => [fn, fn.logGroup])]) {
      tagCostAllocation(hourlyOnly, 'hourly');
    }
    tagCostAllocation(this.backfill, 'backfill');
    acknowledgeBackfillWorkflow(
      this.backfill,
      this.backfill.stateMachine,
      functions.map(logicalIdOf),
      this.getLogicalId(this.backfill.stateMachine.node.defaultChild as CfnElement),
    );
    this.monitoring.watchFunctions(functions);
    addPipelineOutputs(this, {
      hourly: this.hourly.stateMachine,
      backfill: this.backfill.stateMachine,
      dashboard: this.monitoring.dashboard,
      topic: this.topic,
      lakeBucket: lake.lakeBucket,
    });
  }

  /**
   * Puts another pipeline state machine (the backfill) under the janitor and the failure alarm, and lets
   * its teardown publish to the encrypted topic.
   */
  watchStateMachine(label: string, stateMachine: sfn.StateMachine): void {
    confineToPipelineClusters(stateMachine);
    this.janitorRule.addEventPattern({ detail: { stateMachineArn: [stateMachine.stateMachineArn] } });
    this.monitoring.watch(label, stateMachine);
    this.topicKey.grant(stateMachine, 'kms:Decrypt', 'kms:GenerateDataKey*');
  }
}
