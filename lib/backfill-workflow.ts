import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { PlanBackfillEnv } from '../lambdas/plan-backfill/env';
import { longestRunSeconds } from '../core/backfill/plan';
import { LOCATIONS_KEY, pipelineRunsPrefix, s3Uri } from '../core/layout';
import { type PipelineConfig, stageTimeouts } from './config';
import { TABLE_KMS_FINDINGS } from './compliance';
import { grantClusterUsageRead, priceTableEnvironment } from './cost-recording';
import { OPENAQ_ARCHIVE_BUCKET } from './emr-runtime';
import { PipelineFunction } from './pipeline-functions';
import { bronzeChunksMap } from './workflow/backfill-chunks';
import { backfillDefinition } from './workflow/backfill-definition';
import type { EmrClusterBlueprint } from './workflow/emr-cluster';
import type { StageArgsContext } from './workflow/stage-args';

export interface BackfillWorkflowProps {
  readonly config: PipelineConfig;
  readonly blueprint: EmrClusterBlueprint;
  readonly stageArgs: StageArgsContext;
  readonly lakeBucket: s3.IBucket;
  readonly artifactsBucket: s3.IBucket;
  readonly table: dynamodb.ITable;
  readonly topic: sns.ITopic;
  /** lambdas/cancel-steps, shared with the hourly teardown. */
  readonly cancelStepsFunction: lambda.IFunction;
  /** lambdas/janitor, shared with the hourly teardown. */
  readonly janitorFunction: lambda.IFunction;
  /**
   * Where Bronze reads the OpenAQ archive.
   * @default `s3://openaq-data-archive`
   */
  readonly archiveUri?: string;
}

/**
 * The backfill state machine and its Lambdas (plan-backfill, backfill-record-chunk, fan-in,
 * backfill-finalize). Started from the console or `aqi-pipeline backfill start` with
 * `{ "startDate": "2024-01-01", "endDate": "2025-10-16" }`; see docs/BACKFILL.md.
 */
export class BackfillWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly planFunction: lambda.IFunction;
  readonly fanInFunction: lambda.IFunction;

  constructor(scope: Construct, id: string, props: BackfillWorkflowProps) {
    super(scope, id);
    const { config } = props;
    const emrLogUri = props.blueprint.logUri;
    const lake = { LAKE_BUCKET: props.lakeBucket.bucketName };

    const planEnv: Record<keyof PlanBackfillEnv, string> = {
      LAKE_BUCKET: props.lakeBucket.bucketName,
      ARTIFACTS_BUCKET: props.artifactsBucket.bucketName,
      MAX_RANGE_DAYS: String(config.backfill.maxRangeDays),
      DEFAULT_MAX_CONCURRENCY: String(config.backfill.defaultMaxConcurrency),
      MAX_CONCURRENCY_LIMIT: String(config.backfill.maxConcurrencyLimit),
      CORE_INSTANCE_COUNT: String(config.emr.coreInstanceCount),
      BRONZE_TIMEOUT_SECONDS: String(config.stageTimeoutSeconds.bronze),
      SILVER_TIMEOUT_SECONDS: String(config.stageTimeoutSeconds.silver),
      GOLD_TIMEOUT_SECONDS: String(config.stageTimeoutSeconds.gold),
      FAILED_STEP_RETRIES: String(config.emr.stepRetries),
    };
    const plan = new PipelineFunction(this, 'PlanBackfill', {
      name: 'plan-backfill',
      description: 'Validates a backfill input, splits it into calendar chunks and sizes the cluster',
      environment: planEnv,
    });
    const recordChunk = new PipelineFunction(this, 'RecordChunk', {
      name: 'backfill-record-chunk',
      description: "Records a backfill chunk's EMR step id or error in the lake",
      environment: lake,
    });
    // A few thousand small S3 reads at 16 in flight: well under a minute; five leaves room for slow S3.
    const fanIn = new PipelineFunction(this, 'FanIn', {
      name: 'fan-in',
      description: 'Checks every backfill chunk against its result in S3 and writes the manifest',
      environment: { ...lake, EMR_LOG_URI: emrLogUri },
      timeout: Duration.minutes(5),
    });
    const finalize = new PipelineFunction(this, 'FinalizeBackfill', {
      name: 'backfill-finalize',
      description: 'Completes the backfill manifest with Silver, Gold, the cost and the final status; ends a catch-up',
      environment: { ...lake, EMR_LOG_URI: emrLogUri, TABLE_NAME: props.table.tableName, ...priceTableEnvironment(config) },
      acknowledgements: TABLE_KMS_FINDINGS,
    });
    props.table.grantReadWriteData(finalize);
    // Every backfill record (plan, locations, chunk records and results, manifest) is under runs/backfill/.
    const backfillRuns = `${pipelineRunsPrefix('backfill')}*`;
    props.lakeBucket.grantReadWrite(plan, backfillRuns);
    props.artifactsBucket.grantRead(plan, LOCATIONS_KEY);
    props.lakeBucket.grantWrite(recordChunk, backfillRuns);
    props.lakeBucket.grantReadWrite(fanIn, backfillRuns);
    props.lakeBucket.grantReadWrite(finalize, backfillRuns);
    grantClusterUsageRead(finalize);

    const chunks = bronzeChunksMap(this, 'Bronze chunks', {
      context: props.stageArgs,
      archive: { kind: 'archive', archiveUri: props.archiveUri ?? s3Uri(OPENAQ_ARCHIVE_BUCKET, '').replace(/\/$/, '') },
      bronzeTimeout: Duration.seconds(config.stageTimeoutSeconds.bronze),
      failedStepRetries: config.emr.stepRetries,
      recordChunkFunction: recordChunk,
      cancelStepsFunction: props.cancelStepsFunction,
    });
    const definition = backfillDefinition(this, {
      ...props,
      planFunction: plan,
      fanInFunction: fanIn,
      finalizeFunction: finalize,
      chunksMap: chunks,
    });

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      comment: 'aqi-pipeline backfill: plan, one Bronze EMR step per chunk, fan-in, Silver and Gold over the range',
      timeout: backfillExecutionTimeout(config),
      tracingEnabled: true,
      logs: {
        destination: new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.SIX_MONTHS }),
        level: sfn.LogLevel.ALL,
        includeExecutionData: true,
      },
    });
    this.planFunction = plan;
    this.fanInFunction = fanIn;
  }
}

/**
 * The longest run the configuration accepts (`backfill.maxRangeDays` daily chunks one at a time, Silver
 * and Gold, every retry, cluster start and stop: the lock TTL formula of plan-backfill at its worst case)
 * plus 15 minutes. A run stuck past it ends TIMED_OUT and the janitor terminates its cluster and frees the
 * lock. lib/config.ts rejects a configuration whose worst case exceeds Step Functions' one-year maximum.
 */
export function backfillExecutionTimeout(config: PipelineConfig): Duration {
  return Duration.seconds(longestRunSeconds(config.backfill.maxRangeDays, stageTimeouts(config)) + 15 * 60);
}
