import * as z from 'zod';
import { stepIdOf } from '../../core/step-cause';
import type { ObjectStore } from '../../core/ports';
import { BACKFILL_RUN_ID_PATTERN } from '../../core/backfill/run-id';
import { type ChunkStepRecord, chunkStepRecordKey } from '../../core/backfill/chunk-record';

/** The iteration's state: its chunk, and either the step's `.sync` output or the caught error. */
export const RecordChunkEventSchema = z.object({
  runId: z.string().regex(BACKFILL_RUN_ID_PATTERN, 'must be a backfill run id'),
  chunkId: z.string().min(1),
  /** The `addStep.sync` output: `{ StepId }` or the step description `{ Step: { Id } }`. */
  step: z.record(z.string(), z.unknown()).nullish(),
  failure: z.object({ Error: z.string(), Cause: z.string().nullish() }).nullish(),
});

export type RecordChunkEvent = z.infer<typeof RecordChunkEventSchema>;

export async function recordChunkStep(event: RecordChunkEvent, store: ObjectStore, lakeBucket: string, now: Date): Promise<ChunkStepRecord> {
  const record: ChunkStepRecord = {
    chunkId: event.chunkId,
    stepId: stepIdOf(event.step) ?? stepIdInCause(event.failure?.Cause),
    error: event.failure ? { error: event.failure.Error, cause: event.failure.Cause ?? '' } : null,
    recordedAt: now.toISOString(),
  };
  await store.putText(lakeBucket, chunkStepRecordKey(event.runId, event.chunkId), JSON.stringify(record), 'application/json');
  return record;
}

const STEP_ID = /"(?:Id|StepId)"\s*:\s*"(s-[A-Za-z0-9]+)"/;

/**
 * When an `addStep.sync` step fails, Step Functions puts the step's description (with its id) in the
 * error's Cause as JSON text; timeouts and API errors carry no step id.
 */
export function stepIdInCause(cause: string | null | undefined): string | null {
  if (!cause) return null;
  return STEP_ID.exec(cause)?.[1] ?? null;
}
