import { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { S3ObjectStore } from '../../core/aws/s3-object-store';
import { nonEmpty, readEnv } from '../../core/env';
import { functionTools, instrumentedHandler } from '../shared/powertools';
import { parseBackfillState } from '../../core/backfill/errors';
import { FanInEventSchema, fanIn } from './core';

const env = readEnv(z.object({ LAKE_BUCKET: nonEmpty, EMR_LOG_URI: nonEmpty }));
const tools = functionTools('fan-in');
const store = new S3ObjectStore(tools.tracer.captureAWSv3Client(new S3Client({})));

export const handler = instrumentedHandler(tools, async (event) => {
  const input = parseBackfillState(FanInEventSchema, event, 'fan-in input');
  const result = await fanIn(input, { store, lakeBucket: env.LAKE_BUCKET, emrLogUri: env.EMR_LOG_URI, now: () => new Date() });
  tools.logger.info('fanned in backfill chunks', { chunkCount: result.chunkCount, failedChunks: result.failedChunks });
  return result;
});
