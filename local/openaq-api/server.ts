/**
 * A local stand-in for the OpenAQ API v3 (the endpoints the hourly Bronze stage uses), serving an
 * archive-shaped directory over HTTP on 127.0.0.1, with the real API's paging, window semantics and
 * rate-limit headers. Response shapes follow the API's published responses.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { localIsoWithOffset } from '../datagen/zoned-time';
import { ArchiveIndex, IndexedSensor } from './archive-index';

export interface OpenAqApiOptions {
  archiveDir: string;
  /** 0 picks a free port. @default 0 */
  port?: number;
  /** Requests allowed per minute before 429, as the free tier. @default 60 */
  requestsPerMinute?: number;
  /** Answer every Nth request with 429 regardless of the budget, to exercise client back-off. @default - never */
  inject429Every?: number;
  /** When set, requests without this `X-API-Key` get 401. @default - any key, or none, is accepted */
  apiKey?: string;
  /** Called once per request, after the response is sent (the CLI prints them). @default - silent */
  onRequest?: (line: string) => void;
}

export interface RunningOpenAqApi {
  /** Base URL without the version, e.g. `http://127.0.0.1:43117`; requests go to `<baseUrl>/v3/...`. */
  baseUrl: string;
  /** Requests served so far, by path pattern ("/v3/sensors/{id}/hours": 12). */
  requestCounts: Map<string, number>;
  close(): Promise<void>;
}

const HOUR_MS = 3_600_000;
const MAX_LIMIT = 1000;

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}

export async function startOpenAqApi(options: OpenAqApiOptions): Promise<RunningOpenAqApi> {
  const index = new ArchiveIndex(options.archiveDir);
  const perMinute = options.requestsPerMinute ?? 60;
  const requestCounts = new Map<string, number>();
  let windowStart = Date.now();
  let usedInWindow = 0;
  let served = 0;

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const now = Date.now();
    if (now - windowStart >= 60_000) {
      windowStart = now;
      usedInWindow = 0;
    }
    usedInWindow++;
    served++;
    const reset = Math.max(1, Math.ceil((windowStart + 60_000 - now) / 1000));
    res.setHeader('x-ratelimit-limit', String(perMinute));
    res.setHeader('x-ratelimit-used', String(usedInWindow));
    res.setHeader('x-ratelimit-remaining', String(Math.max(0, perMinute - usedInWindow)));
    res.setHeader('x-ratelimit-reset', String(reset));
    res.setHeader('content-type', 'application/json');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let status = 200;
    let body: unknown;
    try {
      if (options.apiKey !== undefined && req.headers['x-api-key'] !== options.apiKey) {
        throw new ApiError(401, { detail: 'Unauthorized. A valid API key must be provided in the X-API-Key header.' });
      }
      const injected = options.inject429Every !== undefined && served % options.inject429Every === 0;
      if (usedInWindow > perMinute || injected) {
        throw new ApiError(429, { detail: 'Too many requests. Slow down.' });
      }
      if (req.method !== 'GET') throw new ApiError(405, { detail: 'Method Not Allowed' });
      const { pattern, result } = route(index, url);
      requestCounts.set(pattern, (requestCounts.get(pattern) ?? 0) + 1);
      body = result;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      status = error.status;
      body = error.body;
    }
    res.statusCode = status;
    res.end(JSON.stringify(body));
    options.onRequest?.(`${status} ${url.pathname}${url.search}`);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requestCounts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function route(index: ArchiveIndex, url: URL): { pattern: string; result: unknown } {
  const parts = url.pathname.split('/').filter(Boolean);
  if (parts[0] !== 'v3') throw new ApiError(404, { detail: 'Not Found' });
  if (parts[1] === 'locations' && parts.length === 3) {
    return { pattern: '/v3/locations/{id}', result: page([locationBody(index, idParam(parts[2]))], 1, 100, 1) };
  }
  if (parts[1] === 'locations' && parts[3] === 'sensors' && parts.length === 4) {
    const location = locationBody(index, idParam(parts[2]));
    const sensors = location.sensors.map((sensor) => sensorRecord(index, index.sensors.get(sensor.id)!));
    return { pattern: '/v3/locations/{id}/sensors', result: page(sensors, 1, 100, sensors.length) };
  }
  if (parts[1] === 'sensors' && parts[3] === 'hours' && parts.length === 4) {
    return { pattern: '/v3/sensors/{id}/hours', result: sensorHours(index, idParam(parts[2]), url.searchParams) };
  }
  throw new ApiError(404, { detail: 'Not Found' });
}

function idParam(text: string): number {
  if (!/^\d+$/.test(text)) {
    throw validationError('path', 'id', `Input should be a valid integer, unable to parse string as an integer: '${text}'`);
  }
  return Number(text);
}

function validationError(where: 'path' | 'query', field: string, msg: string): ApiError {
  return new ApiError(422, { detail: [{ type: 'value_error', loc: [where, field], msg }] });
}

function page(results: unknown[], pageNumber: number, limit: number, found: number | string) {
  return { meta: { name: 'openaq-api', website: '/', page: pageNumber, limit, found }, results };
}

function locationBody(index: ArchiveIndex, id: number) {
  const location = index.locations.get(id);
  if (!location) throw new ApiError(404, { detail: `Location ${id} not found` });
  const firstRows = location.days.length > 0 ? index.rows(id, location.days[0]) : [];
  const coordinates = firstRows[0] ? { latitude: firstRows[0].lat, longitude: firstRows[0].lon } : null;
  const sensors = [...index.sensors.values()]
    .filter((sensor) => sensor.locationId === id)
    .map((sensor) => ({
      id: sensor.id,
      name: `${sensor.parameter.name} ${sensor.parameter.units}`,
      parameter: sensor.parameter,
    }));
  return {
    id,
    name: location.name,
    locality: null,
    timezone: location.timezone,
    country: null,
    owner: null,
    provider: null,
    isMobile: false,
    isMonitor: true,
    instruments: [{ id: 2, name: 'Government Monitor' }],
    sensors,
    coordinates,
    bounds: coordinates ? [coordinates.longitude, coordinates.latitude, coordinates.longitude, coordinates.latitude] : null,
    distance: null,
    datetimeFirst: null,
    datetimeLast: null,
  };
}

/**
 * A `/v3/locations/{id}/sensors` result as the API shapes it (sample: location_2178_sensors.json): the
 * sensor, its first and last measurement and the latest value. `coverage` and `summary` (statistics over
 * the sensor's whole life) are null, which the API's schema allows: the stand-in would have to read every
 * file of the location to compute them, and Bronze reads neither.
 */
function sensorRecord(index: ArchiveIndex, sensor: IndexedSensor) {
  const location = index.locations.get(sensor.locationId)!;
  const measured = (day: string | undefined) =>
    day === undefined ? [] : index.rows(location.id, day).filter((row) => row.sensorId === sensor.id && row.value.trim() !== '' && Number.isFinite(Number(row.value)));
  const first = measured(location.days[0]).sort((a, b) => Date.parse(a.datetime) - Date.parse(b.datetime))[0];
  const last = measured(location.days[location.days.length - 1]).sort((a, b) => Date.parse(b.datetime) - Date.parse(a.datetime))[0];
  const at = (row: typeof first | undefined) => (row === undefined ? null : stamp(Date.parse(row.datetime), location.timezone));
  return {
    id: sensor.id,
    name: `${sensor.parameter.name} ${sensor.parameter.units}`,
    parameter: sensor.parameter,
    datetimeFirst: at(first),
    datetimeLast: at(last),
    coverage: null,
    latest: last === undefined ? null : { datetime: at(last), value: Number(last.value), coordinates: { latitude: Number(last.lat), longitude: Number(last.lon) } },
    summary: null,
  };
}

function utcParam(params: URLSearchParams, name: string): number | undefined {
  const text = params.get(name);
  if (text === null) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw validationError('query', name, `Input should be a valid datetime; got '${text}'`);
  return ms;
}

function intParam(params: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const text = params.get(name);
  if (text === null) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw validationError('query', name, `Input should be an integer from ${min} to ${max}; got '${text}'`);
  }
  return n;
}

/** `/v3/sensors/{id}/hours`: hourly values whose period END is in (datetime_from, datetime_to]. */
function sensorHours(index: ArchiveIndex, sensorId: number, params: URLSearchParams) {
  const sensor = index.sensors.get(sensorId);
  if (!sensor) throw new ApiError(404, { detail: `Sensor ${sensorId} not found` });
  const from = utcParam(params, 'datetime_from') ?? Number.NEGATIVE_INFINITY;
  const to = utcParam(params, 'datetime_to') ?? Number.POSITIVE_INFINITY;
  const limit = intParam(params, 'limit', 100, 1, MAX_LIMIT);
  const pageNumber = intParam(params, 'page', 1, 1, 1_000_000);
  const all = hourlyValues(index, sensor, from, to);
  const results = all.slice((pageNumber - 1) * limit, pageNumber * limit).map(([end, value]) => hourRecord(index, sensor, end, value));
  // Like the real API, a large result set reports its size only as a lower bound: clients page until short.
  const found = all.length > MAX_LIMIT ? `>${MAX_LIMIT}` : all.length;
  return page(results, pageNumber, limit, found);
}

function hourlyValues(index: ArchiveIndex, sensor: IndexedSensor, from: number, to: number): [number, number][] {
  const location = index.locations.get(sensor.locationId)!;
  const fromDay = Number.isFinite(from) ? new Date(from - 86_400_000).toISOString().slice(0, 10) : '';
  const toDay = Number.isFinite(to) ? new Date(to + 86_400_000).toISOString().slice(0, 10) : '9999';
  const byEnd = new Map<number, number>();
  for (const day of location.days) {
    if (day < fromDay || day > toDay) continue;
    for (const row of index.rows(location.id, day)) {
      if (row.sensorId !== sensor.id) continue;
      const end = Date.parse(row.datetime);
      const value = Number(row.value);
      // One row per (sensor, hour), the last one wins, as OpenAQ deduplicates.
      if (end > from && end <= to && row.value.trim() !== '' && Number.isFinite(value)) byEnd.set(end, value);
    }
  }
  return [...byEnd.entries()].sort((a, b) => a[0] - b[0]);
}

function stamp(ms: number, timezone: string) {
  return { utc: new Date(ms).toISOString().replace('.000Z', 'Z'), local: localIsoWithOffset(ms, timezone) };
}

function hourRecord(index: ArchiveIndex, sensor: IndexedSensor, end: number, value: number) {
  const { timezone } = index.locations.get(sensor.locationId)!;
  const datetimeFrom = stamp(end - HOUR_MS, timezone);
  const datetimeTo = stamp(end, timezone);
  return {
    value: Number(value.toPrecision(3)),
    flagInfo: { hasFlags: false },
    parameter: { ...sensor.parameter, displayName: null },
    period: { label: '1hour', interval: '01:00:00', datetimeFrom, datetimeTo },
    coordinates: null,
    summary: { min: value, q02: value, q25: value, median: value, q75: value, q98: value, max: value, avg: value, sd: null },
    coverage: {
      expectedCount: 1,
      expectedInterval: '01:00:00',
      observedCount: 1,
      observedInterval: '01:00:00',
      percentComplete: 100,
      percentCoverage: 100,
      datetimeFrom: datetimeTo,
      datetimeTo,
    },
  };
}
