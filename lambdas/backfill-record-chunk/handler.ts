import { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { S3ObjectStore } from '../../core/aws/s3-object-store';
import { nonEmpty, readEnv } from '../../core/env';
import { functionTools, instrumentedHandler } from '../shared/powertools';
import { parseBackfillState } from '../../core/backfill/errors';
import { RecordChunkEventSchema, recordChunkStep } from './core';

const env = readEnv(z.object({ LAKE_BUCKET: nonEmpty }));
const tools = functionTools('backfill-record-chunk');
const store = new S3ObjectStore(tools.tracer.captureAWSv3Client(new S3Client({})));

export const handler = instrumentedHandler(tools, async (event) => {
  const input = parseBackfillState(RecordChunkEventSchema, event, 'record-chunk input');
  const record = await recordChunkStep(input, store, env.LAKE_BUCKET, new Date());
  tools.logger.info('recorded chunk step', { chunkId: record.chunkId, stepId: record.stepId, error: record.error?.error ?? null });
  return { chunkId: record.chunkId, failed: record.error !== null };
});
