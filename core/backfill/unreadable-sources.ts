import * as z from 'zod';
import { parseArchiveKey } from '../layout';
import { type UnreadableSource, UnreadableSourceSchema } from '../stage-result';

/**
 * An archive file a backfill chunk could not read (its Bronze result's `unreadableSources`), as the run's
 * manifest lists it: with the chunk and the backfill input that retries exactly that location-day. Bronze
 * appends only rows it does not hold, so re-ingesting the day changes nothing but the fixed file's rows.
 */
export const UnreadableSourceRecordSchema = UnreadableSourceSchema.extend({
  chunkId: z.string(),
  /** `{startDate, endDate, chunk: "day", locations: [id]}`; null for a key not shaped like an archive file. */
  retryInput: z.record(z.string(), z.unknown()).nullable(),
});

export type UnreadableSourceRecord = z.infer<typeof UnreadableSourceRecordSchema>;

/** The file as the manifest lists it, with the input that retries it. */
export function unreadableSourceRecord(chunkId: string, file: UnreadableSource): UnreadableSourceRecord {
  const archived = parseArchiveKey(file.key);
  if (archived === undefined) return { ...file, chunkId, retryInput: null };
  const { locationId, day } = archived;
  return { ...file, chunkId, retryInput: { startDate: day, endDate: day, chunk: 'day', locations: [locationId] } };
}

/**
 * Files a notice names one by one. A three-year backfill over many locations could list thousands, and the
 * notice travels in the execution's state (256 KB) and in an SNS message (256 KB): past this many it gives
 * the count and points at the manifest, which lists them all.
 */
export const NOTICE_FILE_LIMIT = 20;

/** What the state machine publishes when a backfill could not read some archive files (`Notify unreadable source files`). */
export interface UnreadableSourcesNotice {
  readonly runId: string;
  readonly count: number;
  /** The first `NOTICE_FILE_LIMIT` files in the manifest's order (by chunk, then key), each with its reason and retry input. */
  readonly files: readonly { key: string; reason: string; retryInput: Record<string, unknown> | null }[];
  /** How many more the manifest lists; 0 when `files` holds them all. */
  readonly notListed: number;
  readonly manifest: string;
  readonly whatToDo: string;
}

export function unreadableSourcesNotice(runId: string, manifestUri: string, records: readonly UnreadableSourceRecord[]): UnreadableSourcesNotice {
  const files = records.slice(0, NOTICE_FILE_LIMIT).map(({ key, reason, retryInput }) => ({ key, reason, retryInput }));
  return {
    runId,
    count: records.length,
    files,
    notListed: records.length - files.length,
    manifest: manifestUri,
    whatToDo:
      'These archive files were skipped, not read as empty: their rows are missing from the lake. Once the file is readable in the archive, ' +
      'start a backfill with its retryInput (docs/OPERATIONS.md, "A backfill could not read some archive files").',
  };
}
