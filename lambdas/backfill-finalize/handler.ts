import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { DynamoPipelineStateStore } from '../shared/aws/dynamodb-state-store';
import { S3ObjectStore } from '../shared/aws/s3-object-store';
import { nonEmpty, readEnv } from '../shared/env';
import { functionTools, instrumentedHandler } from '../shared/powertools';
import { parseBackfillState } from '../plan-backfill/errors';
import { FinalizeBackfillEventSchema, finalizeBackfill } from './core';

const env = readEnv(z.object({ LAKE_BUCKET: nonEmpty, EMR_LOG_URI: nonEmpty, TABLE_NAME: nonEmpty }));
const tools = functionTools('backfill-finalize');
const store = new S3ObjectStore(tools.tracer.captureAWSv3Client(new S3Client({})));
const state = new DynamoPipelineStateStore(env.TABLE_NAME, tools.tracer.captureAWSv3Client(new DynamoDBClient({})));

export const handler = instrumentedHandler(tools, async (event) => {
  const input = parseBackfillState(FinalizeBackfillEventSchema, event, 'backfill-finalize input');
  const result = await finalizeBackfill(input, { store, lakeBucket: env.LAKE_BUCKET, emrLogUri: env.EMR_LOG_URI, now: () => new Date(), state });
  tools.logger.info('finalized backfill', { status: result.status, failedChunks: result.failedChunks });
  return result;
});
