import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EMRClient } from '@aws-sdk/client-emr';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoPipelineStateStore } from '../../core/aws/dynamodb-state-store';
import { EmfMetricsSink } from '../../core/aws/emf-metrics';
import { EmrClusterUsage } from '../../core/aws/emr-usage';
import { S3ObjectStore } from '../../core/aws/s3-object-store';
import { readEnv } from '../../core/env';
import { functionTools, instrumentedHandler } from '../shared/powertools';
import { finalizeRun } from './core';
import { FinalizeEnvSchema } from '../../core/finalize-input';

const env = readEnv(FinalizeEnvSchema);
const tools = functionTools('finalize');
const objects = new S3ObjectStore(tools.tracer.captureAWSv3Client(new S3Client({})));
const state = new DynamoPipelineStateStore(env.TABLE_NAME, tools.tracer.captureAWSv3Client(new DynamoDBClient({})));
const metrics = new EmfMetricsSink('finalize');
const usage = new EmrClusterUsage(tools.tracer.captureAWSv3Client(new EMRClient({})));
const settings = { lakeBucket: env.LAKE_BUCKET, emrLogUri: env.EMR_LOG_URI, metricsNamespace: env.METRICS_NAMESPACE, prices: env.PRICE_TABLE };

export const handler = instrumentedHandler(tools, (event) =>
  finalizeRun(event, { objects, state, metrics, usage, log: tools.logger, settings, now: new Date() }),
);
