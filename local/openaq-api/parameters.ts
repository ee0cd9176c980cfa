/** OpenAQ API v3 parameter ids by (name, units), as the API publishes them (/v3/parameters). */

export type ApiUnits = 'µg/m³' | 'ppm' | 'ppb';

const PARAMETER_IDS: Readonly<Record<string, number>> = {
  'pm10 µg/m³': 1,
  'pm25 µg/m³': 2,
  'o3 µg/m³': 3,
  'co µg/m³': 4,
  'no2 µg/m³': 5,
  'so2 µg/m³': 6,
  'no2 ppm': 7,
  'co ppm': 8,
  'so2 ppm': 9,
  'o3 ppm': 10,
  'no2 ppb': 15,
  'o3 ppb': 32,
  'so2 ppb': 101,
  'co ppb': 102,
};

const DISPLAY_NAMES: Readonly<Record<string, string>> = {
  pm10: 'PM10',
  pm25: 'PM2.5',
  o3: 'O₃',
  co: 'CO',
  no2: 'NO₂',
  so2: 'SO₂',
};

/** The API spells µg/m³ one way; the archive three ways (U+00B5 or U+03BC, ³ or 3, or plain ug). */
export function apiUnits(archiveUnits: string): ApiUnits {
  const folded = archiveUnits.trim().toLowerCase().replace('μ', 'µ').replace('³', '3');
  if (folded === 'µg/m3' || folded === 'ug/m3') return 'µg/m³';
  if (folded === 'ppm' || folded === 'ppb') return folded;
  throw new Error(`unknown units '${archiveUnits}' in the archive; expected µg/m³ (any spelling), ppm or ppb`);
}

export interface ApiParameter {
  id: number;
  name: string;
  units: ApiUnits;
  displayName: string;
}

export function apiParameter(name: string, archiveUnits: string): ApiParameter {
  const units = apiUnits(archiveUnits);
  const id = PARAMETER_IDS[`${name} ${units}`];
  if (id === undefined) throw new Error(`OpenAQ has no parameter '${name}' in '${units}'`);
  return { id, name, units, displayName: DISPLAY_NAMES[name] ?? name };
}
