/**
 * The stations the generator knows: real-looking OpenAQ locations whose sensors cover every pollutant and
 * every unit spelling the archive uses. The first one is OpenAQ's own sample location (2178, Del Norte).
 */

export type Pollutant = 'pm25' | 'pm10' | 'o3' | 'co' | 'no2' | 'so2';

/** The unit as the archive spells it on this sensor: three spellings of µg/m³ exist in the wild. */
export type ArchiveUnit = 'µg/m³' | 'μg/m3' | 'ug/m3' | 'ppm' | 'ppb';

export interface SensorSpec {
  id: number;
  parameter: Pollutant;
  units: ArchiveUnit;
}

export interface StationSpec {
  id: number;
  name: string;
  locality: string;
  timezone: string;
  country: { id: number; code: string; name: string };
  latitude: number;
  longitude: number;
  /** Scales the station's pollution: 1 is a typical suburban site. */
  intensity: number;
  sensors: SensorSpec[];
}

const US = { id: 13, code: 'US', name: 'United States of America' };
const GB = { id: 79, code: 'GB', name: 'United Kingdom' };
const CL = { id: 45, code: 'CL', name: 'Chile' };

export const STATION_CATALOGUE: readonly StationSpec[] = [
  {
    id: 2178,
    name: 'Del Norte',
    locality: 'Albuquerque',
    timezone: 'America/Denver',
    country: US,
    latitude: 35.1353,
    longitude: -106.584702,
    intensity: 1,
    sensors: [
      { id: 3920, parameter: 'pm25', units: 'µg/m³' },
      { id: 3919, parameter: 'pm10', units: 'µg/m³' },
      { id: 3917, parameter: 'o3', units: 'ppm' },
      { id: 25227, parameter: 'co', units: 'ppm' },
      { id: 3916, parameter: 'no2', units: 'ppm' },
      { id: 3918, parameter: 'so2', units: 'ppm' },
    ],
  },
  {
    id: 8118,
    name: 'Queens College 2',
    locality: 'New York',
    timezone: 'America/New_York',
    country: US,
    latitude: 40.7366,
    longitude: -73.8221,
    intensity: 1.3,
    // Two PM2.5 monitors at one site: Silver keeps them apart (one row per sensor and hour).
    sensors: [
      { id: 30101, parameter: 'pm25', units: 'μg/m3' },
      { id: 30102, parameter: 'pm25', units: 'μg/m3' },
      { id: 30103, parameter: 'o3', units: 'ppb' },
      { id: 30104, parameter: 'no2', units: 'ppb' },
      { id: 30105, parameter: 'co', units: 'ppb' },
    ],
  },
  {
    id: 159,
    name: 'London Marylebone Road',
    locality: 'London',
    timezone: 'Europe/London',
    country: GB,
    latitude: 51.52253,
    longitude: -0.15461,
    intensity: 1.5,
    // UK stations report gases in µg/m³: Silver must convert them to ppb/ppm with the molecular weights.
    sensors: [
      { id: 1591, parameter: 'pm25', units: 'ug/m3' },
      { id: 1592, parameter: 'pm10', units: 'ug/m3' },
      { id: 1593, parameter: 'no2', units: 'µg/m³' },
      { id: 1594, parameter: 'o3', units: 'µg/m³' },
      { id: 1595, parameter: 'so2', units: 'µg/m³' },
    ],
  },
  {
    id: 2401,
    name: 'Parque O’Higgins',
    locality: 'Santiago',
    timezone: 'America/Santiago',
    country: CL,
    latitude: -33.4638,
    longitude: -70.6609,
    intensity: 1.8,
    sensors: [
      { id: 24011, parameter: 'pm25', units: 'µg/m³' },
      { id: 24012, parameter: 'pm10', units: 'µg/m³' },
      { id: 24013, parameter: 'o3', units: 'ppb' },
      { id: 24014, parameter: 'so2', units: 'ppb' },
    ],
  },
];

const SYNTHETIC_ZONES = ['America/Denver', 'America/New_York', 'Europe/London', 'America/Santiago'];

/**
 * The first `count` stations: the catalogue, then synthetic ones (ids from 900001) cycling through the
 * catalogue's time zones, so any N works and the same N always gives the same stations.
 */
export function stations(count: number): StationSpec[] {
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(`locations must be a whole number of at least 1; got ${count}`);
  }
  const chosen = STATION_CATALOGUE.slice(0, count);
  for (let i = chosen.length; i < count; i++) {
    const id = 900_000 + i + 1;
    const template = STATION_CATALOGUE[i % STATION_CATALOGUE.length];
    chosen.push({
      ...template,
      id,
      name: `Synthetic Station ${id}`,
      locality: template.locality,
      timezone: SYNTHETIC_ZONES[i % SYNTHETIC_ZONES.length],
      intensity: 0.6 + (i % 7) * 0.2,
      sensors: template.sensors.map((sensor, j) => ({ ...sensor, id: id * 10 + j })),
    });
  }
  return chosen;
}
