/**
 * Writes an OpenAQ-archive-shaped directory for N locations × a range of days, plus `locations.json`:
 * what the local backfill reads through `--archive-uri`, and what the API stand-in serves.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ARCHIVE_LOCATIONS_FILE, archiveKey } from './archive-layout';
import { formatArchiveCsv } from './archive-csv';
import { isMissingDay, isReexported, locationDayRows } from './measurements';
import { StationSpec, stations } from './stations';
import { daysBetween } from './zoned-time';

export interface ArchiveSpec {
  /** Output directory (created); it becomes the `--archive-uri` of a local backfill. */
  outDir: string;
  /** First local day, YYYY-MM-DD. */
  from: string;
  /** Last local day, YYYY-MM-DD, inclusive. */
  to: string;
  /** How many stations, taken in catalogue order (see `stations.ts`). */
  locations: number;
  seed: number;
}

/** Days on or after this are written in the newer pandas style, numbers quoted (re-exports always are). */
export const QUOTED_NUMBERS_FROM = '2024-06-01';

export interface GeneratedArchive {
  stations: StationSpec[];
  files: number;
  rows: number;
  missingDays: string[];
}

/** The `locations.json` document: the same shape CDK writes from the `locations` context key. */
export function locationsDocument(chosen: readonly StationSpec[]): { id: number; name: string; timezone: string }[] {
  return chosen.map(({ id, name, timezone }) => ({ id, name, timezone }));
}

export function generateArchive(spec: ArchiveSpec): GeneratedArchive {
  const days = validDays(spec.from, spec.to);
  const chosen = stations(spec.locations);
  let files = 0;
  let rows = 0;
  const missingDays: string[] = [];
  for (const station of chosen) {
    for (const day of days) {
      if (isMissingDay(spec.seed, station, day)) {
        missingDays.push(`${station.id}/${day}`);
        continue;
      }
      const dayRows = locationDayRows(spec.seed, station, day);
      const quoting = day >= QUOTED_NUMBERS_FROM || isReexported(spec.seed, station, day) ? 'quoted' : 'bare';
      const path = join(spec.outDir, archiveKey(station.id, day));
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, gzipSync(Buffer.from(formatArchiveCsv(dayRows, quoting), 'utf8')));
      files++;
      rows += dayRows.length;
    }
  }
  mkdirSync(spec.outDir, { recursive: true });
  writeFileSync(join(spec.outDir, ARCHIVE_LOCATIONS_FILE), `${JSON.stringify(locationsDocument(chosen), null, 2)}\n`);
  return { stations: chosen, files, rows, missingDays };
}

function validDays(from: string, to: string): string[] {
  for (const [name, value] of [['from', from], ['to', to]] as const) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
      throw new Error(`--${name} must be a date YYYY-MM-DD; got '${value}'`);
    }
  }
  if (from > to) throw new Error(`--from (${from}) must not be after --to (${to})`);
  return daysBetween(from, to);
}
