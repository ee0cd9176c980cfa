import * as z from 'zod';
import { runPrefix } from '../layout';

/**
 * What one Map iteration records about its chunk's Bronze step: the step id when EMR ran it, and the
 * Step Functions error when the step failed, timed out or could not be submitted. The Spark job's own
 * result carries the rows; this record carries what only the state machine knows.
 */
export const ChunkStepRecordSchema = z.object({
  chunkId: z.string().min(1),
  stepId: z.string().nullable(),
  error: z.object({ error: z.string(), cause: z.string() }).nullable(),
  recordedAt: z.string(),
});

export type ChunkStepRecord = z.infer<typeof ChunkStepRecordSchema>;

export function chunkStepRecordPrefix(runId: string): string {
  return `${runPrefix('backfill', runId)}steps/bronze/`;
}

export function chunkStepRecordKey(runId: string, chunkId: string): string {
  return `${chunkStepRecordPrefix(runId)}${chunkId}.json`;
}
