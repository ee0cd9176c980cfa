import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { archiveKey, parseArchiveKey } from '../../local/datagen/archive-layout';
import { parseArchiveCsv } from '../../local/datagen/archive-csv';
import { generateArchive } from '../../local/datagen/generate-archive';
import { hourEndsOfLocalDay, localIsoWithOffset } from '../../local/datagen/zoned-time';

const readCsv = (dir: string, locationId: number, day: string) => gunzipSync(readFileSync(join(dir, archiveKey(locationId, day)))).toString('utf8');

describe('local day hours (hour-ending stamps, DST-aware)', () => {
  test('a Denver spring-forward day has 23 hours and no 02:00 stamp', () => {
    // GIVEN 2024-03-10, when America/Denver moves from -07:00 to -06:00 at 02:00
    const stamps = hourEndsOfLocalDay('2024-03-10', 'America/Denver').map((ms) => localIsoWithOffset(ms, 'America/Denver'));

    expect(stamps).toHaveLength(23);
    expect(stamps.slice(0, 3)).toEqual(['2024-03-10T01:00:00-07:00', '2024-03-10T03:00:00-06:00', '2024-03-10T04:00:00-06:00']);
    expect(stamps[22]).toBe('2024-03-11T00:00:00-06:00');
  });

  test('a Denver fall-back day has 25 hours with 01:00 stamped twice, once per offset', () => {
    const stamps = hourEndsOfLocalDay('2024-11-03', 'America/Denver').map((ms) => localIsoWithOffset(ms, 'America/Denver'));

    expect(stamps).toHaveLength(25);
    expect(stamps.slice(0, 3)).toEqual(['2024-11-03T01:00:00-06:00', '2024-11-03T01:00:00-07:00', '2024-11-03T02:00:00-07:00']);
  });
});

describe('generated archive', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'aqi-datagen-'));
    generateArchive({ outDir: dir, from: '2024-03-08', to: '2024-03-12', locations: 4, seed: 7 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('keys follow the OpenAQ layout and parse back to location and local day', () => {
    const key = archiveKey(2178, '2024-03-10');

    expect(key).toBe('records/csv.gz/locationid=2178/year=2024/month=03/location-2178-20240310.csv.gz');
    expect(parseArchiveKey(key)).toEqual({ locationId: 2178, day: '2024-03-10' });
  });

  test('files are CRLF with a quoted header, quoted strings and bare numbers (pre-2024-06 export style)', () => {
    const lines = readCsv(dir, 2178, '2024-03-10').split('\r\n');

    expect(lines[0]).toBe('"location_id","sensors_id","location","datetime","lat","lon","parameter","units","value"');
    expect(lines[1]).toBe('2178,3920,"Del Norte","2024-03-10T01:00:00-07:00",35.1353,-106.584702,"pm25","µg/m³",8.6');
    expect(lines[2]).toBe('2178,3920,"Del Norte","2024-03-10T03:00:00-06:00",35.1353,-106.584702,"pm25","µg/m³",9.7');
  });

  test('the same seed writes byte-identical files', () => {
    const again = mkdtempSync(join(tmpdir(), 'aqi-datagen-'));
    try {
      generateArchive({ outDir: again, from: '2024-03-08', to: '2024-03-12', locations: 4, seed: 7 });
      expect(readCsv(again, 159, '2024-03-11')).toBe(readCsv(dir, 159, '2024-03-11'));
    } finally {
      rmSync(again, { recursive: true, force: true });
    }
  });

  test('every unit spelling of the archive appears: µg/m³ (U+00B5), μg/m3 (U+03BC), ug/m3, ppm, ppb', () => {
    const units = new Set<string>();
    for (const id of [2178, 8118, 159, 2401]) for (const row of parseArchiveCsv(readCsv(dir, id, '2024-03-11'))) units.add(row.units);

    expect([...units].sort()).toEqual(['ppb', 'ppm', 'ug/m3', 'µg/m³', 'μg/m3'].sort());
  });

  test('the faults real data has are present: −999 sentinels, negatives and duplicate rows', () => {
    const rows = [2178, 8118, 159, 2401].flatMap((id) => ['2024-03-08', '2024-03-10', '2024-03-11', '2024-03-12'].flatMap((day) => parseArchiveCsv(readCsv(dir, id, day))));
    const keys = rows.map((r) => `${r.sensorId}@${r.datetime}`);

    expect(rows.some((r) => r.value === '-999')).toBe(true);
    expect(rows.some((r) => Number(r.value) < 0 && r.value !== '-999')).toBe(true);
    expect(new Set(keys).size).toBeLessThan(keys.length);
  });
});

describe('generateArchive input', () => {
  test('a malformed date is refused naming the option and the value', () => {
    expect(() => generateArchive({ outDir: '/nonexistent', from: '2024-3-1', to: '2024-03-02', locations: 1, seed: 1 })).toThrow(
      "--from must be a date YYYY-MM-DD; got '2024-3-1'",
    );
  });

  test('a range that ends before it starts is refused', () => {
    expect(() => generateArchive({ outDir: '/nonexistent', from: '2024-03-02', to: '2024-03-01', locations: 1, seed: 1 })).toThrow(
      '--from (2024-03-02) must not be after --to (2024-03-01)',
    );
  });
});
