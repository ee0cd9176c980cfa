import { CloudWatchMetricsSink } from '../shared/aws/cloudwatch-metrics';
import { DynamoPipelineStateStore } from '../shared/aws/dynamodb-state-store';
import { S3ObjectStore } from '../shared/aws/s3-object-store';
import { readEnv } from '../shared/env';
import { createLogger } from '../shared/logger';
import { finalizeRun } from './core';
import { FinalizeEnvSchema } from './schema';

const env = readEnv(FinalizeEnvSchema);
const objects = new S3ObjectStore();
const state = new DynamoPipelineStateStore(env.TABLE_NAME);
const metrics = new CloudWatchMetricsSink();
const log = createLogger('finalize');
const settings = { lakeBucket: env.LAKE_BUCKET, emrLogUri: env.EMR_LOG_URI, metricsNamespace: env.METRICS_NAMESPACE };

export async function handler(event: unknown) {
  return finalizeRun(event, { objects, state, metrics, log, settings, now: new Date() });
}
