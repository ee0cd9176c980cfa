import { z } from 'zod';
import { PIPELINES, STAGES } from '../shared/layout';
import { RUN_ID_PATTERN } from '../shared/run-id';

/**
 * What `finalizeTask` (lib/workflow/finalize.ts) sends. `plan` is the plan Lambda's output; only the
 * fields finalize uses are checked and the rest is kept for the manifest. `steps` holds the raw
 * `addStep.sync` outputs keyed by stage.
 */
export const FinalizeInputSchema = z.object({
  pipeline: z.enum(PIPELINES),
  outcome: z.enum(['SUCCEEDED', 'FAILED']),
  executionArn: z.string().min(1),
  executionStartTime: z.string().min(1),
  plan: z.looseObject({
    runId: z.string().regex(RUN_ID_PATTERN, 'must be a run id such as hourly-20250101T0300Z-1a2b3c4d'),
    window: z.object({ start: z.string(), end: z.string() }).optional(),
    skip: z.partialRecord(z.enum(STAGES), z.boolean()).optional(),
    advanceWatermark: z.boolean().optional(),
    input: z.unknown().optional(),
  }),
  clusterId: z.string().nullable(),
  steps: z.record(z.string(), z.unknown()),
  /** The `{ Error, Cause }` a Catch recorded; absent for a successful run. */
  error: z.object({ Error: z.string(), Cause: z.string().optional() }).nullable().default(null),
});

export type FinalizeInput = z.infer<typeof FinalizeInputSchema>;

export const FinalizeEnvSchema = z.object({
  LAKE_BUCKET: z.string().min(1, 'must name the lake bucket'),
  TABLE_NAME: z.string().min(1, 'must name the pipeline DynamoDB table'),
  EMR_LOG_URI: z.string().regex(/^s3:\/\/[^/]+\/.*\/$|^s3:\/\/[^/]+\/$/, 'must be an s3:// URI ending in /'),
  METRICS_NAMESPACE: z.string().min(1),
});
