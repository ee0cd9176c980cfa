/**
 * Read access to an archive-shaped directory (generated, or a real copy of `s3://openaq-data-archive`):
 * the locations, their sensors, and the rows of any location-day. Files are parsed on first use and cached.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { constants, gunzipSync } from 'node:zlib';
import { ARCHIVE_LOCATIONS_FILE, ARCHIVE_RECORDS_PREFIX, archiveKey, parseArchiveKey } from '../datagen/archive-layout';
import { parseArchiveCsv } from '../datagen/archive-csv';
import { ArchiveRow } from '../datagen/measurements';
import { ApiParameter, apiParameter } from './parameters';

export interface IndexedLocation {
  id: number;
  name: string;
  timezone: string;
  /** Local days with a file, ascending. */
  days: string[];
}

export interface IndexedSensor {
  id: number;
  locationId: number;
  parameter: ApiParameter;
}

export class ArchiveIndex {
  readonly locations = new Map<number, IndexedLocation>();
  readonly sensors = new Map<number, IndexedSensor>();
  private readonly rowsByKey = new Map<string, ArchiveRow[]>();

  constructor(private readonly archiveDir: string) {
    const locationsPath = join(archiveDir, ARCHIVE_LOCATIONS_FILE);
    if (!existsSync(locationsPath)) {
      throw new Error(`no ${ARCHIVE_LOCATIONS_FILE} in archive directory '${archiveDir}': generate one with 'npm run local -- generate'`);
    }
    const listed = JSON.parse(readFileSync(locationsPath, 'utf8')) as { id: number; name: string; timezone: string }[];
    for (const { id, name, timezone } of listed) {
      const days = this.listDays(id);
      this.locations.set(id, { id, name, timezone, days });
      // A location's sensors are those of its first and last files: sensors come and go rarely.
      for (const day of new Set([days[0], days[days.length - 1]])) {
        if (day === undefined) continue;
        for (const row of this.rows(id, day)) {
          if (!this.sensors.has(row.sensorId)) {
            this.sensors.set(row.sensorId, { id: row.sensorId, locationId: id, parameter: apiParameter(row.parameter, row.units) });
          }
        }
      }
    }
  }

  /** The rows of one location-day file; empty when the archive has no file for it. */
  rows(locationId: number, day: string): ArchiveRow[] {
    const key = archiveKey(locationId, day);
    let rows = this.rowsByKey.get(key);
    if (!rows) {
      const path = join(this.archiveDir, key);
      const text = existsSync(path) ? readableText(readFileSync(path)) : '';
      rows = text.includes('\n') ? parseArchiveCsv(text) : [];
      this.rowsByKey.set(key, rows);
    }
    return rows;
  }

  private listDays(locationId: number): string[] {
    const root = join(this.archiveDir, ARCHIVE_RECORDS_PREFIX, `locationid=${locationId}`);
    if (!existsSync(root)) return [];
    const days: string[] = [];
    for (const year of readdirSync(root)) {
      for (const month of readdirSync(join(root, year))) {
        for (const file of readdirSync(join(root, year, month))) {
          const parsed = parseArchiveKey(`locationid=${locationId}/${year}/${month}/${file}`);
          if (parsed) days.push(parsed.day);
        }
      }
    }
    return days.sort();
  }
}

/**
 * The text of an archive file, or of as much of it as decompresses: the stand-in serves what the API
 * would have, even where the archive export is truncated (Bronze's backfill reports such a file as
 * unreadable; the API's data does not come from that file). The cut-off last line is dropped, and a file
 * whose header did not survive serves no rows.
 */
function readableText(gzipped: Buffer): string {
  const text = gunzipSync(gzipped, { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8');
  return text.endsWith('\n') ? text : text.slice(0, text.lastIndexOf('\n') + 1);
}
