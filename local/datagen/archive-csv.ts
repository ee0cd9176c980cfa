/**
 * The archive's CSV dialect, as pandas writes it: UTF-8, CRLF, a quoted header, strings quoted; older
 * exports leave numbers bare, newer ones (and re-exports) quote lat, lon and value too.
 */
import { ArchiveRow } from './measurements';

export const ARCHIVE_COLUMNS = ['location_id', 'sensors_id', 'location', 'datetime', 'lat', 'lon', 'parameter', 'units', 'value'] as const;

export type NumberQuoting = 'bare' | 'quoted';

function quote(text: string): string {
  return `"${text.replace(/"/g, '""')}"`;
}

export function formatArchiveCsv(rows: readonly ArchiveRow[], numbers: NumberQuoting): string {
  const num = (n: number | string) => (numbers === 'quoted' ? quote(String(n)) : String(n));
  const lines = [ARCHIVE_COLUMNS.map(quote).join(',')];
  for (const row of rows) {
    lines.push(
      [
        String(row.locationId),
        String(row.sensorId),
        quote(row.location),
        quote(row.datetime),
        num(row.lat),
        num(row.lon),
        quote(row.parameter),
        quote(row.units),
        num(row.value),
      ].join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** Parses this dialect back (quoted or bare fields, CRLF or LF): what the API stand-in reads. */
export function parseArchiveCsv(text: string): ArchiveRow[] {
  const lines = text.split(/\r?\n/).filter((line) => line.length > 0);
  const header = splitCsvLine(lines[0] ?? '');
  if (header.join(',') !== ARCHIVE_COLUMNS.join(',')) {
    throw new Error(`not an OpenAQ archive file: header is '${header.join(',')}', expected '${ARCHIVE_COLUMNS.join(',')}'`);
  }
  return lines.slice(1).map((line) => {
    const f = splitCsvLine(line);
    return {
      locationId: Number(f[0]),
      sensorId: Number(f[1]),
      location: f[2],
      datetime: f[3],
      lat: Number(f[4]),
      lon: Number(f[5]),
      parameter: f[6] as ArchiveRow['parameter'],
      units: f[7],
      value: f[8],
    };
  });
}

function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let text = '';
      i++;
      while (i < line.length) {
        if (line[i] === '"' && line[i + 1] === '"') {
          text += '"';
          i += 2;
        } else if (line[i] === '"') {
          i++;
          break;
        } else {
          text += line[i++];
        }
      }
      fields.push(text);
      i++; // the comma
    } else {
      const end = line.indexOf(',', i);
      const stop = end === -1 ? line.length : end;
      fields.push(line.slice(i, stop));
      i = stop + 1;
    }
  }
  return fields;
}
