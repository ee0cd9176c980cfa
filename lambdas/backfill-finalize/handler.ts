import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EMRClient } from '@aws-sdk/client-emr';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoPipelineStateStore } from '../../core/aws/dynamodb-state-store';
import { EmrClusterUsage } from '../../core/aws/emr-usage';
import { S3ObjectStore } from '../../core/aws/s3-object-store';
import { readEnv } from '../../core/env';
import { functionTools, instrumentedHandler } from '../shared/powertools';
import { parseBackfillState } from '../../core/backfill/errors';
import { BackfillFinalizeEnvSchema, FinalizeBackfillEventSchema, finalizeBackfill } from './core';

const env = readEnv(BackfillFinalizeEnvSchema);
const tools = functionTools('backfill-finalize');
const store = new S3ObjectStore(tools.tracer.captureAWSv3Client(new S3Client({})));
const state = new DynamoPipelineStateStore(env.TABLE_NAME, tools.tracer.captureAWSv3Client(new DynamoDBClient({})));
const usage = new EmrClusterUsage(tools.tracer.captureAWSv3Client(new EMRClient({})));

export const handler = instrumentedHandler(tools, async (event) => {
  const input = parseBackfillState(FinalizeBackfillEventSchema, event, 'backfill-finalize input');
  const result = await finalizeBackfill(input, {
    store,
    lakeBucket: env.LAKE_BUCKET,
    emrLogUri: env.EMR_LOG_URI,
    now: () => new Date(),
    state,
    usage,
    prices: env.PRICE_TABLE,
    log: tools.logger,
  });
  tools.logger.info('finalized backfill', { status: result.status, failedChunks: result.failedChunks });
  return result;
});
