import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { PlanHourlyEnv } from '../lambdas/plan-hourly/wiring';
import { RUNS_PREFIX } from '../core/layout';
import { IMPORTED_ARN, s3GrantFindings, TABLE_KMS_FINDINGS } from './compliance';
import type { PipelineConfig } from './config';
import { CLUSTER_USAGE_FINDINGS, grantClusterUsageRead, priceTableEnvironment } from './cost-recording';
import { METRICS_NAMESPACE } from './monitoring';
import { PipelineFunction } from './pipeline-functions';

/** The hourly workflow's own Lambdas; its teardown also calls the run-cleanup functions. */
export interface HourlyFunctions {
  readonly planHourly: PipelineFunction;
  readonly finalize: PipelineFunction;
}

export interface HourlyFunctionsProps {
  readonly config: PipelineConfig;
  /** The lock and watermark table. */
  readonly table: dynamodb.ITable;
  /** Where finalize reads stage results and writes manifests (under `runs/`). */
  readonly lakeBucket: s3.IBucket;
  /** The clusters' `LogUri`, for the step log URIs in manifests. */
  readonly emrLogUri: string;
  /** How long a run's lock lives before another run may take it over. */
  readonly lockTtl: Duration;
}

/** plan-hourly and finalize, each with exactly the permissions its core uses. */
export function createHourlyFunctions(scope: Construct, props: HourlyFunctionsProps): HourlyFunctions {
  const { config, table, lakeBucket } = props;
  const tableEnv = { TABLE_NAME: table.tableName };
  const planHourly = new PipelineFunction(scope, 'PlanHourly', {
    name: 'plan-hourly',
    description: 'Plans an hourly run: window from the watermark, run id, lock times',
    environment: {
      ...tableEnv,
      LATE_DATA_MARGIN_HOURS: String(config.hourly.lateDataMarginHours),
      MAX_WINDOW_HOURS: String(config.hourly.maxWindowHours),
      LOCK_TTL_SECONDS: String(props.lockTtl.toSeconds()),
      BACKFILL_AFTER_GAP_HOURS: String(config.hourly.backfillAfterGapHours),
      MAX_BACKFILL_RANGE_DAYS: String(config.backfill.maxRangeDays),
      METRICS_NAMESPACE,
      LOCATION_COUNT: String(config.locations.length),
      SIZING_MODE: config.hourly.sizing.mode,
      PRIMARY_ONLY_MAX_LOCATION_HOURS: String(config.hourly.sizing.primaryOnlyMaxLocationHours),
      LOCATION_HOURS_PER_CORE_INSTANCE: String(config.hourly.sizing.locationHoursPerCoreInstance),
      MAX_CORE_INSTANCES: String(config.hourly.sizing.maxCoreInstances),
      CORE_INSTANCE_COUNT: String(config.emr.coreInstanceCount),
    } satisfies Record<keyof PlanHourlyEnv, string>,
    acknowledgements: TABLE_KMS_FINDINGS,
  });
  table.grantReadData(planHourly);

  const finalize = new PipelineFunction(scope, 'Finalize', {
    name: 'finalize',
    description: 'Writes the run manifest, logs the run metrics as EMF, advances the hourly watermark',
    timeout: Duration.minutes(2),
    environment: {
      ...tableEnv,
      LAKE_BUCKET: lakeBucket.bucketName,
      EMR_LOG_URI: props.emrLogUri,
      METRICS_NAMESPACE,
      ...priceTableEnvironment(config),
    },
    acknowledgements: {
      ...TABLE_KMS_FINDINGS,
      ...CLUSTER_USAGE_FINDINGS,
      ...s3GrantFindings('runs/* of the lake bucket (stage results in, manifests out)'),
      [`AwsSolutions-IAM5[Resource::${IMPORTED_ARN.lakeBucket}/${RUNS_PREFIX}*]`]:
        'Manifests and stage results live under runs/<pipeline>/<runId>/, created per run',
    },
  });
  lakeBucket.grantReadWrite(finalize, `${RUNS_PREFIX}*`);
  grantClusterUsageRead(finalize);
  table.grantReadWriteData(finalize);
  return { planHourly, finalize };
}
