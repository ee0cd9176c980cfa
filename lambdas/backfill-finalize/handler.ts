import { z } from 'zod';
import { S3ObjectStore } from '../shared/aws/s3-object-store';
import { nonEmpty, readEnv } from '../shared/env';
import { createLogger } from '../shared/logger';
import { parseBackfillState } from '../plan-backfill/errors';
import { FinalizeBackfillEventSchema, finalizeBackfill } from './core';

const env = readEnv(z.object({ LAKE_BUCKET: nonEmpty, EMR_LOG_URI: nonEmpty }));
const store = new S3ObjectStore();
const log = createLogger('backfill-finalize');

export async function handler(event: unknown) {
  const input = parseBackfillState(FinalizeBackfillEventSchema, event, 'backfill-finalize input');
  const result = await finalizeBackfill(input, { store, lakeBucket: env.LAKE_BUCKET, emrLogUri: env.EMR_LOG_URI, now: () => new Date() });
  log.info('finalized backfill', { runId: input.plan.runId, status: result.status, failedChunks: result.failedChunks });
  return result;
}
