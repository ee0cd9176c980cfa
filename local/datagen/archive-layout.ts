/** Where the OpenAQ archive keeps a location-day (docs/LOCAL.md; OpenAQ's `records/csv.gz` layout). */

export const ARCHIVE_RECORDS_PREFIX = 'records/csv.gz/';
/** Beside `records/`: the `[{id, name, timezone}]` list of the generated locations. */
export const ARCHIVE_LOCATIONS_FILE = 'locations.json';

/** `records/csv.gz/locationid=2178/year=2024/month=03/location-2178-20240310.csv.gz` */
export function archiveKey(locationId: number, day: string): string {
  const [year, month, dom] = day.split('-');
  return `${ARCHIVE_RECORDS_PREFIX}locationid=${locationId}/year=${year}/month=${month}/location-${locationId}-${year}${month}${dom}.csv.gz`;
}

const KEY_PATTERN = /locationid=(\d+)\/year=(\d{4})\/month=(\d{2})\/location-\1-(\d{4})(\d{2})(\d{2})\.csv\.gz$/;

/** The location and local day an archive key holds, or `undefined` for any other key. */
export function parseArchiveKey(key: string): { locationId: number; day: string } | undefined {
  const match = KEY_PATTERN.exec(key);
  if (!match) return undefined;
  return { locationId: Number(match[1]), day: `${match[4]}-${match[5]}-${match[6]}` };
}
