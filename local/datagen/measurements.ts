/**
 * The measurement model: what a sensor reports for an hour, in its own units, with the faults real
 * OpenAQ data has (gaps, −999 sentinels, small negatives, implausible spikes, duplicate rows, missing
 * days). Every value is a pure function of (seed, station, sensor, hour), see `seeded-noise.ts`.
 */
import { unitNoise } from './seeded-noise';
import { Pollutant, SensorSpec, StationSpec } from './stations';
import { HOUR_MS, hourEndsOfLocalDay, localBeginHour, localDayOfHourEnd, localIsoWithOffset } from './zoned-time';

/** One archive row, every field already as the text the CSV carries (the value may be a sentinel). */
export interface ArchiveRow {
  locationId: number;
  sensorId: number;
  location: string;
  datetime: string;
  lat: number;
  lon: number;
  parameter: Pollutant;
  units: string;
  value: string;
}

/** Why an hour looks the way it does; the tests and the API stand-in use it to explain the data. */
export type HourFault = 'none' | 'gap' | 'sentinel' | 'negative' | 'implausible' | 'duplicate';

/** Fault rates per sensor-hour (cumulative thresholds on one uniform draw). */
const FAULTS: readonly { fault: HourFault; upTo: number }[] = [
  { fault: 'gap', upTo: 0.03 },
  { fault: 'sentinel', upTo: 0.04 },
  { fault: 'negative', upTo: 0.05 },
  { fault: 'implausible', upTo: 0.053 },
  { fault: 'duplicate', upTo: 0.073 },
];
const MISSING_DAY_RATE = 0.03;
const REEXPORT_RATE = 0.05;
/** Episodes (smoke, inversions) lift a station-day well above its usual level. */
const EPISODE_RATE = 0.08;

/** Typical concentrations in AQI units (µg/m³ for PM, ppm for O3 and CO, ppb for NO2 and SO2). */
const BASE_LEVEL: Readonly<Record<Pollutant, number>> = {
  pm25: 7,
  pm10: 22,
  o3: 0.032,
  co: 0.35,
  no2: 14,
  so2: 2.5,
};

/** OpenAQ's own upper plausibility bounds, in AQI units; a spike is written at 1.5× the bound. */
const IMPLAUSIBLE_AT: Readonly<Record<Pollutant, number>> = {
  pm25: 1000,
  pm10: 1500,
  o3: 0.5,
  co: 100,
  no2: 500,
  so2: 2000,
};

/** µg/m³ per ppb at 25 °C and 1 atm (docs/ARCHITECTURE.md, units). */
const UG_PER_PPB: Readonly<Record<'o3' | 'no2' | 'so2' | 'co', number>> = {
  o3: 1.9631,
  no2: 1.8816,
  so2: 2.6202,
  co: 1.1456,
};

function diurnalShape(pollutant: Pollutant, hour: number): number {
  const wave = (peakHour: number) => Math.cos((2 * Math.PI * (hour - peakHour)) / 24);
  switch (pollutant) {
    case 'pm25':
    case 'pm10':
      return 1 + 0.3 * wave(8) + 0.2 * wave(21);
    case 'o3':
      // Photochemical: low at night, peaks mid-afternoon.
      return 0.55 + 0.75 * Math.max(0, Math.sin((Math.PI * (hour - 8)) / 12));
    case 'no2':
    case 'co':
      // Traffic: morning and evening rush hours.
      return 1 + 0.4 * wave(8) + 0.3 * wave(19);
    case 'so2':
      return 1;
  }
}

/** The true concentration in AQI units for the hour ending at `hourEndMs`. */
export function trueConcentration(seed: number, station: StationSpec, sensor: SensorSpec, hourEndMs: number): number {
  const day = localDayOfHourEnd(hourEndMs, station.timezone);
  const weather = 0.55 + 0.9 * unitNoise(seed, 'weather', station.id, day);
  const episode = unitNoise(seed, 'episode', station.id, day) < EPISODE_RATE;
  const lift = episode ? (sensor.parameter === 'o3' ? 1.8 : 3.2) : 1;
  const jitter = 0.85 + 0.3 * unitNoise(seed, 'jitter', sensor.id, hourEndMs);
  const shape = diurnalShape(sensor.parameter, localBeginHour(hourEndMs, station.timezone));
  return BASE_LEVEL[sensor.parameter] * station.intensity * weather * lift * shape * jitter;
}

/** Decimal places the sensor reports with, as real monitors do (PM to 0.1 µg/m³, O3 to 0.001 ppm, ...). */
function decimals(sensor: SensorSpec): number {
  if (sensor.units === 'ppm') return sensor.parameter === 'no2' || sensor.parameter === 'so2' ? 4 : 3;
  return 1;
}

/** A concentration in AQI units expressed in the sensor's own units. */
export function inSensorUnits(sensor: SensorSpec, concentration: number): number {
  const { parameter, units } = sensor;
  if (parameter === 'pm25' || parameter === 'pm10') return concentration;
  const ppb = parameter === 'o3' || parameter === 'co' ? concentration * 1000 : concentration;
  if (units === 'ppb') return ppb;
  if (units === 'ppm') return ppb / 1000;
  return ppb * UG_PER_PPB[parameter];
}

export function hourFault(seed: number, sensor: SensorSpec, hourEndMs: number): HourFault {
  const draw = unitNoise(seed, 'fault', sensor.id, hourEndMs);
  return FAULTS.find((f) => draw < f.upTo)?.fault ?? 'none';
}

/** Whether the archive has no file at all for this location-day. */
export function isMissingDay(seed: number, station: StationSpec, day: string): boolean {
  return unitNoise(seed, 'missing-day', station.id, day) < MISSING_DAY_RATE;
}

/**
 * Whether this location-day file is a later re-export: written in the newer pandas style (numbers quoted)
 * and complete, because the late rows that were gaps in the first export have arrived.
 */
export function isReexported(seed: number, station: StationSpec, day: string): boolean {
  return unitNoise(seed, 'reexport', station.id, day) < REEXPORT_RATE;
}

/** The value text a sensor reports for an hour, or `undefined` for a gap. */
export function reportedValue(
  seed: number,
  station: StationSpec,
  sensor: SensorSpec,
  hourEndMs: number,
  fillGaps = false,
): string | undefined {
  const fault = hourFault(seed, sensor, hourEndMs);
  const places = decimals(sensor);
  const step = 10 ** -places;
  switch (fault) {
    case 'gap':
      if (!fillGaps) return undefined;
      break;
    case 'sentinel':
      return '-999';
    case 'negative': {
      // Instrument noise around zero: one to twenty steps of the reporting precision below it.
      const steps = 1 + Math.floor(unitNoise(seed, 'negative', sensor.id, hourEndMs) * 20);
      return (-steps * step).toFixed(places);
    }
    case 'implausible':
      return inSensorUnits(sensor, IMPLAUSIBLE_AT[sensor.parameter] * 1.5).toFixed(places);
    default:
      break;
  }
  return inSensorUnits(sensor, trueConcentration(seed, station, sensor, hourEndMs)).toFixed(places);
}

/** Every row of one location-day file, in the archive's order (by sensor, then hour), duplicates included. */
export function locationDayRows(seed: number, station: StationSpec, day: string): ArchiveRow[] {
  const reexported = isReexported(seed, station, day);
  const hours = hourEndsOfLocalDay(day, station.timezone);
  const rows: ArchiveRow[] = [];
  for (const sensor of station.sensors) {
    for (const hourEndMs of hours) {
      const value = reportedValue(seed, station, sensor, hourEndMs, reexported);
      if (value === undefined) continue;
      const row: ArchiveRow = {
        locationId: station.id,
        sensorId: sensor.id,
        location: station.name,
        datetime: localIsoWithOffset(hourEndMs, station.timezone),
        lat: station.latitude,
        lon: station.longitude,
        parameter: sensor.parameter,
        units: sensor.units,
        value,
      };
      rows.push(row);
      if (hourFault(seed, sensor, hourEndMs) === 'duplicate') rows.push({ ...row });
    }
  }
  return rows;
}

export { HOUR_MS };
