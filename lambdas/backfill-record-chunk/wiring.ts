import * as z from 'zod';
import { nonEmpty } from '../../core/env';
import { ERROR_NAMES } from '../../core/errors';
import { defineFunction } from '../../core/function';
import { parseInput } from '../../core/input';
import { RecordChunkEventSchema, recordChunkStep } from './core';

/** Records which EMR step ran a Bronze chunk (and its error), for the fan-in to find the step's logs. */
export const recordChunkFunction = defineFunction({
  name: 'backfill-record-chunk',
  env: z.object({ LAKE_BUCKET: nonEmpty }),
  ports: ['objects'],
  deps: (env, ports) => ({ store: ports.objects(), lakeBucket: env.LAKE_BUCKET }),
  run: async (event, deps, log) => {
    const input = parseInput(RecordChunkEventSchema, event, ERROR_NAMES.invalidBackfillState, 'record-chunk input');
    const record = await recordChunkStep(input, deps.store, deps.lakeBucket, new Date());
    log.info('recorded chunk step', { chunkId: record.chunkId, stepId: record.stepId, error: record.error?.error ?? null });
    return { chunkId: record.chunkId, failed: record.error !== null };
  },
});
