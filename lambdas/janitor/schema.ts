import { z } from 'zod';

const executionArn = z
  .string()
  .regex(/^arn:[\w-]+:states:[\w-]+:\d{12}:execution:[^:]+:[^:]+$/, 'must be a Step Functions execution ARN');

/** The EventBridge "Step Functions Execution Status Change" event, the fields the janitor uses. */
const StatusChangeEventSchema = z.object({
  'detail-type': z.literal('Step Functions Execution Status Change'),
  source: z.literal('aws.states'),
  detail: z.object({
    executionArn,
    stateMachineArn: z.string(),
    status: z.enum(['FAILED', 'TIMED_OUT', 'ABORTED'], { message: 'must be FAILED, TIMED_OUT or ABORTED' }),
  }),
});

/** A teardown state of a running execution asking for its own clusters to be terminated. */
const StateMachineRequestSchema = z.object({
  source: z.literal('state-machine'),
  executionArn,
});

export const JanitorEventSchema = z.union([StatusChangeEventSchema, StateMachineRequestSchema]);

export type JanitorEvent = z.infer<typeof JanitorEventSchema>;
