import * as z from 'zod';
import { STAGES } from '../layout';
import { ISO_HOUR_PATTERN } from '../time';

const isoInstant = z.iso.datetime({ offset: true, message: 'must be an ISO-8601 timestamp such as 2025-01-01T03:15:00Z' });

/**
 * What starts an hourly execution: the scheduler's `{ scheduledTime }`, or an operator's
 * `{ windowEnd }` that re-runs one window. Unknown keys are rejected so a typo never silently runs the
 * wrong window.
 */
export const HourlyInputSchema = z
  .strictObject({
    scheduledTime: isoInstant.optional(),
    windowEnd: z
      .string()
      .regex(ISO_HOUR_PATTERN, 'must be a whole UTC hour such as 2025-01-01T03:00:00Z')
      .optional(),
    skipStages: z
      .array(z.enum(STAGES, { message: `must be one of ${STAGES.join(', ')}` }))
      .refine((stages) => new Set(stages).size === stages.length, 'must not repeat a stage')
      .optional(),
  })
  .refine((input) => (input.scheduledTime === undefined) !== (input.windowEnd === undefined), {
    message: 'give exactly one of scheduledTime (scheduled runs) or windowEnd (re-running one window)',
  });

export type HourlyInput = z.infer<typeof HourlyInputSchema>;
