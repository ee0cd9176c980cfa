import { z } from 'zod';
import { S3ObjectStore } from '../shared/aws/s3-object-store';
import { nonEmpty, readEnv } from '../shared/env';
import { createLogger } from '../shared/logger';
import { parseBackfillState } from '../plan-backfill/errors';
import { RecordChunkEventSchema, recordChunkStep } from './core';

const env = readEnv(z.object({ LAKE_BUCKET: nonEmpty }));
const store = new S3ObjectStore();
const log = createLogger('backfill-record-chunk');

export async function handler(event: unknown) {
  const input = parseBackfillState(RecordChunkEventSchema, event, 'record-chunk input');
  const record = await recordChunkStep(input, store, env.LAKE_BUCKET, new Date());
  log.info('recorded chunk step', { runId: input.runId, chunkId: record.chunkId, stepId: record.stepId, error: record.error?.error ?? null });
  return { chunkId: record.chunkId, failed: record.error !== null };
}
