import * as z from 'zod';

/**
 * `{ clusterId }` from the teardown's `Cancel running steps` state: every active step of the cluster.
 * `{ clusterId, stepName }` from a backfill chunk that timed out: only that chunk's step.
 */
export const CancelStepsInputSchema = z.object({
  clusterId: z.string().regex(/^j-[A-Z0-9]+$/, 'must be an EMR cluster id such as j-2AXXXXXXGAPLF'),
  stepName: z.string().min(1, 'must name the EMR step, e.g. "bronze 2024-01-01_2024-01-31"').max(256).optional(),
});

export type CancelStepsInput = z.infer<typeof CancelStepsInputSchema>;
