import * as z from 'zod';
import { PIPELINES, STAGES } from './layout';
import { RUN_ID_PATTERN } from './run-id';

/**
 * What `finalizeTask` (lib/workflow/finalize.ts) sends. `plan` is the plan Lambda's output; only the
 * fields finalize uses are checked and the rest is kept for the manifest. `steps` holds the raw
 * `addStep.sync` outputs keyed by stage.
 */
export const FinalizeInputSchema = z.object({
  pipeline: z.enum(PIPELINES),
  /** SKIPPED: the lock was held and the run did nothing; recorded so skipped runs are counted and alarmed. */
  outcome: z.enum(['SUCCEEDED', 'FAILED', 'SKIPPED']),
  executionArn: z.string().min(1),
  executionStartTime: z.string().min(1),
  plan: z.looseObject({
    runId: z.string().regex(RUN_ID_PATTERN, 'must be a run id such as hourly-20250101T0300Z-1a2b3c4d'),
    window: z.object({ start: z.string(), end: z.string() }).optional(),
    skip: z.partialRecord(z.enum(STAGES), z.boolean()).optional(),
    advanceWatermark: z.boolean().optional(),
    /** The watermark the plan saw (`null`: none yet). */
    watermark: z.string().nullable().optional(),
    catchUpBackfill: z
      .object({ input: z.record(z.string(), z.unknown()), watermarkTo: z.string(), gapHours: z.number() })
      .nullable()
      .optional(),
    input: z.unknown().optional(),
  }),
  /** Absent when the run never reached cluster creation (a skipped run, a catch-up backfill start). */
  clusterId: z.string().nullable().default(null),
  steps: z.record(z.string(), z.unknown()).default({}),
  /** The `{ Error, Cause }` a Catch recorded; absent for a successful run. */
  error: z.object({ Error: z.string(), Cause: z.string().optional() }).nullable().default(null),
  /** The `states:startExecution` output of the catch-up backfill this run started. */
  catchUpExecution: z.object({ ExecutionArn: z.string().min(1), StartDate: z.unknown().optional() }).optional(),
  /** A skipped run: the lock item read after the conditional put failed (`{}` when it was gone by then). */
  lockHolder: z.looseObject({ Item: z.record(z.string(), z.object({ S: z.string().optional(), N: z.string().optional() })).optional() }).optional(),
});

export type FinalizeInput = z.infer<typeof FinalizeInputSchema>;
