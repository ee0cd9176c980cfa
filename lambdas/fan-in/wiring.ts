import * as z from 'zod';
import { nonEmpty } from '../../core/env';
import { ERROR_NAMES } from '../../core/errors';
import { defineFunction } from '../../core/function';
import { parseInput } from '../../core/input';
import { FanInEventSchema, fanIn } from './core';

/** Reads every chunk's result once the Bronze Map is done and writes the backfill manifest (RUNNING). */
export const fanInFunction = defineFunction({
  name: 'fan-in',
  env: z.object({ LAKE_BUCKET: nonEmpty, EMR_LOG_URI: nonEmpty }),
  ports: ['objects'],
  deps: (env, ports) => ({ store: ports.objects(), lakeBucket: env.LAKE_BUCKET, emrLogUri: env.EMR_LOG_URI, now: () => new Date() }),
  run: async (event, deps, log) => {
    const input = parseInput(FanInEventSchema, event, ERROR_NAMES.invalidBackfillState, 'fan-in input');
    const result = await fanIn(input, deps);
    log.info('fanned in backfill chunks', { chunkCount: result.chunkCount, failedChunks: result.failedChunks });
    return result;
  },
});
