import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { PlanBackfillEnv } from '../lambdas/plan-backfill/wiring';
import { LOCATIONS_KEY, pipelineRunsPrefix } from '../core/layout';
import { TABLE_KMS_FINDINGS } from './compliance';
import type { PipelineConfig } from './config';
import { grantClusterUsageRead, priceTableEnvironment } from './cost-recording';
import { METRICS_NAMESPACE } from './monitoring';
import { PipelineFunction } from './pipeline-functions';

/** The backfill workflow's own Lambdas; its teardown also calls the run-cleanup functions. */
export interface BackfillFunctions {
  readonly plan: PipelineFunction;
  readonly recordChunk: PipelineFunction;
  readonly fanIn: PipelineFunction;
  readonly finalize: PipelineFunction;
}

export interface BackfillFunctionsProps {
  readonly config: PipelineConfig;
  /** The lock and watermark table (finalize ends a catch-up by moving the watermark). */
  readonly table: dynamodb.ITable;
  /** Where every backfill record lives, under `runs/backfill/`. */
  readonly lakeBucket: s3.IBucket;
  /** Where the planner reads `config/locations.json`. */
  readonly artifactsBucket: s3.IBucket;
  /** The clusters' `LogUri`, for the step log URIs in manifests. */
  readonly emrLogUri: string;
}

/**
 * plan-backfill, backfill-record-chunk, fan-in and backfill-finalize, each with exactly the permissions
 * its core uses.
 */
export function createBackfillFunctions(scope: Construct, props: BackfillFunctionsProps): BackfillFunctions {
  const { config, emrLogUri } = props;
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
  const plan = new PipelineFunction(scope, 'PlanBackfill', {
    name: 'plan-backfill',
    description: 'Validates a backfill input, splits it into calendar chunks and sizes the cluster',
    environment: planEnv,
  });
  const recordChunk = new PipelineFunction(scope, 'RecordChunk', {
    name: 'backfill-record-chunk',
    description: "Records a backfill chunk's EMR step id or error in the lake",
    environment: lake,
  });
  // A few thousand small S3 reads at 16 in flight: well under a minute; five leaves room for slow S3.
  const fanIn = new PipelineFunction(scope, 'FanIn', {
    name: 'fan-in',
    description: 'Checks every backfill chunk against its result in S3 and writes the manifest',
    environment: { ...lake, EMR_LOG_URI: emrLogUri },
    timeout: Duration.minutes(5),
  });
  const finalize = new PipelineFunction(scope, 'FinalizeBackfill', {
    name: 'backfill-finalize',
    description: 'Completes the backfill manifest with Silver, Gold, the cost and the final status; ends a catch-up',
    environment: { ...lake, EMR_LOG_URI: emrLogUri, TABLE_NAME: props.table.tableName, METRICS_NAMESPACE, ...priceTableEnvironment(config) },
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
  return { plan, recordChunk, fanIn, finalize };
}
