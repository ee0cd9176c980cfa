/**
 * The shape of an hourly run's cluster, chosen per run from its window as the backfill's is from its
 * chunks. An hourly window is tiny (100 locations × 4 hours ≈ 2,000 rows) and Bronze waits on the OpenAQ
 * API, not on CPU, so the cheapest cluster that finishes well within the hour is a single node: the
 * primary runs YARN's containers itself. Core nodes are added only for a wide window (a catch-up after
 * an outage, or thousands of locations), one per `locationHoursPerCoreInstance` above the single-node
 * limit. docs/COSTS.md has the model behind the defaults.
 */
/** How an hourly cluster is shaped: by the plan from the window, or always one way (`hourly.sizing.mode`). */
export const HOURLY_SIZING_MODES = ['auto', 'primary-only', 'primary-and-core'] as const;
export type HourlySizingMode = (typeof HOURLY_SIZING_MODES)[number];

export interface HourlySizingSettings {
  readonly mode: HourlySizingMode;
  readonly primaryOnlyMaxLocationHours: number;
  readonly locationHoursPerCoreInstance: number;
  readonly maxCoreInstances: number;
  /** `emr.coreInstanceCount`: the core nodes of a `primary-and-core` run. */
  readonly configuredCoreInstances: number;
}

/** `$.plan.cluster` of the hourly state machine. */
export interface HourlyClusterShape {
  /** A single-node cluster: the state machine's "Primary only?" choice reads this. */
  readonly primaryOnly: boolean;
  /** Core nodes beside the primary; 0 when `primaryOnly`. */
  readonly coreInstanceCount: number;
  /** Locations × window hours: the work the shape was chosen for. */
  readonly locationHours: number;
  /** Why this shape, for the plan's log line and the console. */
  readonly reason: string;
}

export function sizeHourlyCluster(locationCount: number, windowHours: number, settings: HourlySizingSettings): HourlyClusterShape {
  const locationHours = locationCount * windowHours;
  const work = `${locationCount} locations × ${windowHours} h = ${locationHours} location-hours`;
  if (settings.mode === 'primary-only') {
    return { primaryOnly: true, coreInstanceCount: 0, locationHours, reason: `hourly.sizing.mode is primary-only (${work})` };
  }
  if (settings.mode === 'primary-and-core') {
    const count = settings.configuredCoreInstances;
    return { primaryOnly: false, coreInstanceCount: count, locationHours, reason: `hourly.sizing.mode is primary-and-core: ${count} core (${work})` };
  }
  if (locationHours <= settings.primaryOnlyMaxLocationHours) {
    return { primaryOnly: true, coreInstanceCount: 0, locationHours, reason: `${work} ≤ ${settings.primaryOnlyMaxLocationHours}: one node` };
  }
  const wanted = Math.ceil((locationHours - settings.primaryOnlyMaxLocationHours) / settings.locationHoursPerCoreInstance);
  const count = Math.min(settings.maxCoreInstances, wanted);
  const capped = count < wanted ? ` (capped at hourly.sizing.maxCoreInstances ${settings.maxCoreInstances})` : '';
  return {
    primaryOnly: false,
    coreInstanceCount: count,
    locationHours,
    reason: `${work} > ${settings.primaryOnlyMaxLocationHours}: ${count} core${capped}`,
  };
}
