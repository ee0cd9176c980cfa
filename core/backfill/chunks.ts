import { addDays, isoWeekday, lastDayOfMonth, toEpochDay } from './calendar';

export const CHUNK_SIZES = ['day', 'week', 'month'] as const;
export type ChunkSize = (typeof CHUNK_SIZES)[number];

/** One Bronze step's window: local dates, both ends inclusive (the stage CLI's backfill mode). */
export interface Chunk {
  id: string;
  start: string;
  end: string;
}

/**
 * A chunk id is `<start>_<end>`: self-describing in the console, S3-key and EMR-step-name safe, and
 * splittable inside the state machine with `States.StringSplit(id, '_')`, so Map items can be the ids
 * alone and the worst-case Map input stays far below the 256 KB payload limit.
 */
export const CHUNK_ID_SEPARATOR = '_';

export function chunkId(start: string, end: string): string {
  return `${start}${CHUNK_ID_SEPARATOR}${end}`;
}

const CHUNK_ID_PATTERN = /^(\d{4}-\d{2}-\d{2})_(\d{4}-\d{2}-\d{2})$/;

export function parseChunkId(id: string): Chunk | undefined {
  const match = CHUNK_ID_PATTERN.exec(id);
  if (!match || match[1] > match[2]) return undefined;
  return { id, start: match[1], end: match[2] };
}

/** The last day of the calendar period (day, ISO week Monday–Sunday, month) that contains `date`. */
function periodEnd(date: string, size: ChunkSize): string {
  switch (size) {
    case 'day':
      return date;
    case 'week':
      return addDays(date, 7 - isoWeekday(date));
    case 'month':
      return lastDayOfMonth(date);
  }
}

/**
 * Splits `[start, end]` into chunks aligned to calendar boundaries: the first and last chunk are clipped
 * to the range, every other one is a whole day, ISO week or month. Aligned chunks make a chunk id mean
 * the same period in every run, which is what lets a later run reprocess exactly the failed ones.
 */
export function splitIntoChunks(start: string, end: string, size: ChunkSize): Chunk[] {
  const chunks: Chunk[] = [];
  let cursor = start;
  while (toEpochDay(cursor) <= toEpochDay(end)) {
    const natural = periodEnd(cursor, size);
    const chunkEnd = natural < end ? natural : end;
    chunks.push({ id: chunkId(cursor, chunkEnd), start: cursor, end: chunkEnd });
    cursor = addDays(chunkEnd, 1);
  }
  return chunks;
}
