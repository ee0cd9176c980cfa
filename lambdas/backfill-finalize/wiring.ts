import * as z from 'zod';
import { nonEmpty } from '../../core/env';
import { ERROR_NAMES } from '../../core/errors';
import { defineFunction } from '../../core/function';
import { parseInput } from '../../core/input';
import { PriceTableEnvSchema } from '../../core/pricing';
import { FinalizeBackfillEventSchema, finalizeBackfill } from './core';

/** Completes the backfill manifest with Silver, Gold, the cost and the final status; moves a catch-up's watermark. */
export const backfillFinalizeFunction = defineFunction({
  name: 'backfill-finalize',
  env: z.object({ LAKE_BUCKET: nonEmpty, EMR_LOG_URI: nonEmpty, TABLE_NAME: nonEmpty, METRICS_NAMESPACE: nonEmpty, PRICE_TABLE: PriceTableEnvSchema }),
  ports: ['objects', 'state', 'clusterUsage', 'metrics'],
  deps: (env, ports) => ({
    store: ports.objects(),
    lakeBucket: env.LAKE_BUCKET,
    emrLogUri: env.EMR_LOG_URI,
    now: () => new Date(),
    state: ports.state(env.TABLE_NAME),
    usage: ports.clusterUsage(),
    prices: env.PRICE_TABLE,
    log: ports.log,
    metrics: { sink: ports.metrics(), namespace: env.METRICS_NAMESPACE },
  }),
  run: async (event, deps, log) => {
    const input = parseInput(FinalizeBackfillEventSchema, event, ERROR_NAMES.invalidBackfillState, 'backfill-finalize input');
    const result = await finalizeBackfill(input, deps);
    log.info('finalized backfill', { status: result.status, failedChunks: result.failedChunks, unreadableSourceCount: result.unreadableSourceCount });
    return result;
  },
});
