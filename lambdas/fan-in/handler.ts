import { z } from 'zod';
import { S3ObjectStore } from '../shared/aws/s3-object-store';
import { nonEmpty, readEnv } from '../shared/env';
import { createLogger } from '../shared/logger';
import { parseBackfillState } from '../plan-backfill/errors';
import { FanInEventSchema, fanIn } from './core';

const env = readEnv(z.object({ LAKE_BUCKET: nonEmpty, EMR_LOG_URI: nonEmpty }));
const store = new S3ObjectStore();
const log = createLogger('fan-in');

export async function handler(event: unknown) {
  const input = parseBackfillState(FanInEventSchema, event, 'fan-in input');
  const result = await fanIn(input, { store, lakeBucket: env.LAKE_BUCKET, emrLogUri: env.EMR_LOG_URI, now: () => new Date() });
  log.info('fanned in backfill chunks', { runId: input.runId, chunkCount: result.chunkCount, failedChunks: result.failedChunks });
  return result;
}
