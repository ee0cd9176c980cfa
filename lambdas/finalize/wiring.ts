import * as z from 'zod';
import { defineFunction } from '../../core/function';
import { PriceTableEnvSchema } from '../../core/pricing';
import { finalizeRun } from './core';

/** Records how an hourly run ended: manifest, cost, watermark, catch-up backfill, metrics. */
export const finalizeFunction = defineFunction({
  name: 'finalize',
  env: z.object({
    LAKE_BUCKET: z.string().min(1, 'must name the lake bucket'),
    TABLE_NAME: z.string().min(1, 'must name the pipeline DynamoDB table'),
    EMR_LOG_URI: z.string().regex(/^s3:\/\/[^/]+\/.*\/$|^s3:\/\/[^/]+\/$/, 'must be an s3:// URI ending in /'),
    METRICS_NAMESPACE: z.string().min(1),
    PRICE_TABLE: PriceTableEnvSchema,
  }),
  ports: ['objects', 'state', 'metrics', 'clusterUsage'],
  deps: (env, ports) => ({
    objects: ports.objects(),
    state: ports.state(env.TABLE_NAME),
    metrics: ports.metrics(),
    usage: ports.clusterUsage(),
    log: ports.log,
    settings: { lakeBucket: env.LAKE_BUCKET, emrLogUri: env.EMR_LOG_URI, metricsNamespace: env.METRICS_NAMESPACE, prices: env.PRICE_TABLE },
  }),
  run: (event, deps) => finalizeRun(event, { ...deps, now: new Date() }),
});
