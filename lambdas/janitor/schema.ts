import * as z from 'zod';

const executionArn = z
  .string()
  .regex(/^arn:[\w-]+:states:[\w-]+:\d{12}:execution:[^:]+:[^:]+$/, 'must be a Step Functions execution ARN');

/** The EventBridge "Step Functions Execution Status Change" event, the fields the janitor uses. */
export const StatusChangeEventSchema = z.object({
  'detail-type': z.literal('Step Functions Execution Status Change'),
  source: z.literal('aws.states'),
  detail: z.object({
    executionArn,
    stateMachineArn: z.string(),
    status: z.enum(['FAILED', 'TIMED_OUT', 'ABORTED'], { message: 'must be FAILED, TIMED_OUT or ABORTED' }),
  }),
});

/** A teardown state of a running execution asking for its own clusters to be terminated. */
export const StateMachineRequestSchema = z.object({
  source: z.literal('state-machine'),
  executionArn,
});

/**
 * An EventBridge event carries `detail`; a state machine request does not. Choosing the schema by that
 * (instead of a union) keeps the error message about the fields of the shape that was meant.
 */
export function janitorEventSchema(raw: unknown) {
  return raw !== null && typeof raw === 'object' && 'detail' in raw ? StatusChangeEventSchema : StateMachineRequestSchema;
}
