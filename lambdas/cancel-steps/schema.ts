import { z } from 'zod';

/** `{ clusterId }` from the teardown's `Cancel running steps` state. */
export const CancelStepsInputSchema = z.object({
  clusterId: z.string().regex(/^j-[A-Z0-9]+$/, 'must be an EMR cluster id such as j-2AXXXXXXGAPLF'),
});

export type CancelStepsInput = z.infer<typeof CancelStepsInputSchema>;
