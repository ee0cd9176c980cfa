import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateArchive } from '../../local/datagen/generate-archive';
import { RunningOpenAqApi, startOpenAqApi } from '../../local/openaq-api/server';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'aqi-api-'));
  generateArchive({ outDir: dir, from: '2024-03-08', to: '2024-03-12', locations: 2, seed: 7 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function withApi<T>(options: Partial<Parameters<typeof startOpenAqApi>[0]>, use: (api: RunningOpenAqApi) => Promise<T>): Promise<T> {
  const api = await startOpenAqApi({ archiveDir: dir, ...options });
  try {
    return await use(api);
  } finally {
    await api.close();
  }
}

type HoursPage = { meta: { found: number | string; page: number; limit: number }; results: { value: number; period: { datetimeTo: { utc: string; local: string } }; summary: { avg: number } }[] };

describe('OpenAQ API v3 stand-in', () => {
  test('a location lists its sensors with API parameter ids and the one µg/m³ spelling', () =>
    withApi({}, async (api) => {
      const body = (await (await fetch(`${api.baseUrl}/v3/locations/8118`)).json()) as { results: { timezone: string; sensors: { id: number; parameter: object }[] }[] };

      expect(body.results[0].timezone).toBe('America/New_York');
      expect(body.results[0].sensors.slice(0, 3)).toEqual([
        { id: 30101, name: 'pm25 µg/m³', parameter: { id: 2, name: 'pm25', units: 'µg/m³', displayName: 'PM2.5' } },
        { id: 30102, name: 'pm25 µg/m³', parameter: { id: 2, name: 'pm25', units: 'µg/m³', displayName: 'PM2.5' } },
        { id: 30103, name: 'o3 ppb', parameter: { id: 32, name: 'o3', units: 'ppb', displayName: 'O₃' } },
      ]);
    }));

  test('a location\'s sensor list carries each sensor\'s first and last measurement and latest value, as the API shapes it', () =>
    withApi({}, async (api) => {
      const listed = await fetch(`${api.baseUrl}/v3/locations/2178/sensors`);
      const body = (await listed.json()) as { meta: { found: number }; results: Record<string, unknown>[] };
      const hour = (await (await fetch(`${api.baseUrl}/v3/sensors/3919/hours?datetime_from=2024-03-13T05:00:00Z&datetime_to=2024-03-13T06:00:00Z`)).json()) as HoursPage;

      expect(body.meta.found).toBe(6);
      expect(body.results.find((sensor) => sensor.id === 3919)).toEqual({
        id: 3919,
        name: 'pm10 µg/m³',
        parameter: { id: 1, name: 'pm10', units: 'µg/m³', displayName: 'PM10' },
        // The archive's first row (01:00 MST on 2024-03-08) and last (24:00 MDT on 2024-03-12: DST began on the 10th)
        datetimeFirst: { utc: '2024-03-08T08:00:00Z', local: '2024-03-08T01:00:00-07:00' },
        datetimeLast: { utc: '2024-03-13T06:00:00Z', local: '2024-03-13T00:00:00-06:00' },
        coverage: null,
        latest: { datetime: { utc: '2024-03-13T06:00:00Z', local: '2024-03-13T00:00:00-06:00' }, value: 25.5, coordinates: { latitude: 35.1353, longitude: -106.584702 } },
        summary: null,
      });
      // The latest value is the last hour's, as /hours reports it.
      expect(hour.results.map((r) => [r.period.datetimeTo.utc, r.summary.avg])).toEqual([['2024-03-13T06:00:00Z', 25.5]]);
      expect(api.requestCounts).toEqual(new Map([['/v3/locations/{id}/sensors', 1], ['/v3/sensors/{id}/hours', 1]]));
    }));

  test('hours are selected by period end: datetime_from exclusive, datetime_to inclusive', () =>
    withApi({}, async (api) => {
      const url = `${api.baseUrl}/v3/sensors/3920/hours?datetime_from=2024-03-10T08:00:00Z&datetime_to=2024-03-10T11:00:00Z`;
      const body = (await (await fetch(url)).json()) as HoursPage;

      // 08:00Z (the 01:00 MST stamp) is excluded; 09:00Z, 10:00Z and 11:00Z are the archive's next three rows.
      expect(body.results.map((r) => [r.period.datetimeTo.utc, r.period.datetimeTo.local, r.summary.avg])).toEqual([
        ['2024-03-10T09:00:00Z', '2024-03-10T03:00:00-06:00', 9.7],
        ['2024-03-10T10:00:00Z', '2024-03-10T04:00:00-06:00', 9.5],
        ['2024-03-10T11:00:00Z', '2024-03-10T05:00:00-06:00', 10.1],
      ]);
      expect(body.meta.found).toBe(3);
    }));

  test('paging with limit and page returns the requested slice', () =>
    withApi({}, async (api) => {
      const url = `${api.baseUrl}/v3/sensors/3920/hours?datetime_from=2024-03-10T08:00:00Z&datetime_to=2024-03-10T11:00:00Z&limit=2&page=2`;
      const body = (await (await fetch(url)).json()) as HoursPage;

      expect(body.meta).toMatchObject({ page: 2, limit: 2, found: 3 });
      expect(body.results.map((r) => r.period.datetimeTo.utc)).toEqual(['2024-03-10T11:00:00Z']);
    }));

  test('every response carries the rate-limit headers, counting down the minute budget', () =>
    withApi({ requestsPerMinute: 5 }, async (api) => {
      const first = await fetch(`${api.baseUrl}/v3/locations/2178`);
      const second = await fetch(`${api.baseUrl}/v3/locations/2178`);

      expect([first.headers.get('x-ratelimit-limit'), first.headers.get('x-ratelimit-used'), first.headers.get('x-ratelimit-remaining')]).toEqual(['5', '1', '4']);
      expect([second.headers.get('x-ratelimit-used'), second.headers.get('x-ratelimit-remaining')]).toEqual(['2', '3']);
      expect(Number(second.headers.get('x-ratelimit-reset'))).toBeGreaterThanOrEqual(1);
    }));

  test('past the per-minute budget the answer is 429', () =>
    withApi({ requestsPerMinute: 2 }, async (api) => {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await fetch(`${api.baseUrl}/v3/locations/2178`)).status);

      expect(statuses).toEqual([200, 200, 429]);
    }));

  test('429 injection answers every Nth request with 429 whatever the budget', () =>
    withApi({ inject429Every: 2 }, async (api) => {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await fetch(`${api.baseUrl}/v3/locations/2178`)).status);

      expect(statuses).toEqual([200, 429, 200, 429]);
    }));

  test('an unknown sensor is 404 and a malformed datetime is 422 naming the parameter', () =>
    withApi({}, async (api) => {
      const missing = await fetch(`${api.baseUrl}/v3/sensors/999/hours`);
      const bad = await fetch(`${api.baseUrl}/v3/sensors/3920/hours?datetime_to=yesterday`);

      expect(missing.status).toBe(404);
      expect(bad.status).toBe(422);
      expect(await bad.json()).toEqual({ detail: [{ type: 'value_error', loc: ['query', 'datetime_to'], msg: "Input should be a valid datetime; got 'yesterday'" }] });
    }));

  test('with an API key configured, a request without it is 401', () =>
    withApi({ apiKey: 'secret' }, async (api) => {
      expect((await fetch(`${api.baseUrl}/v3/locations/2178`)).status).toBe(401);
      expect((await fetch(`${api.baseUrl}/v3/locations/2178`, { headers: { 'X-API-Key': 'secret' } })).status).toBe(200);
    }));
});
