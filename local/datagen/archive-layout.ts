/** The generated archive: OpenAQ's key layout (core/layout.ts) and, beside it, the generator's locations list. */

export { ARCHIVE_RECORDS_PREFIX, archiveKey, parseArchiveKey } from '../../core/layout';

/** Beside `records/`: the `[{id, name, timezone}]` list of the generated locations. */
export const ARCHIVE_LOCATIONS_FILE = 'locations.json';
