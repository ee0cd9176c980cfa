import { createHash } from 'node:crypto';
import { makeRunId } from '../run-id';

/** A backfill's run id (docs/ARCHITECTURE.md, "Run ids"). */
export const BACKFILL_RUN_ID_PATTERN = /^backfill-\d{8}T\d{4}Z-[0-9a-f]{8}$/;
export const BACKFILL_RUN_ID_EXAMPLE = 'backfill-20250101T0300Z-1a2b3c4d';

/**
 * The hex part is derived from the execution ARN, not drawn at random, so a retried plan invocation
 * names the same run and an operator can tell an execution's run id from the execution alone.
 */
export function backfillRunId(executionArn: string, executionStartTime: Date): string {
  return makeRunId('backfill', executionStartTime, () => createHash('sha256').update(executionArn).digest('hex').slice(0, 8));
}
