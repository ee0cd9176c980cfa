import { ERROR_NAMES, PipelineError } from '../shared/errors';
import { parseInput } from '../shared/input';
import type { Stage } from '../shared/layout';
import { STAGES } from '../shared/layout';
import type { PipelineStateStore } from '../shared/ports';
import { makeRunId } from '../shared/run-id';
import { addHours, floorToHour, formatIsoHour, hoursBetween } from '../shared/time';
import { type HourlyInput, HourlyInputSchema } from './schema';

export interface HourlyPlanSettings {
  readonly lateDataMarginHours: number;
  readonly maxWindowHours: number;
  readonly lockTtlSeconds: number;
}

/** `$.plan` of the hourly state machine (see lib/workflow/state-paths.ts). */
export interface HourlyPlan {
  pipeline: 'hourly';
  runId: string;
  trigger: 'schedule' | 'manual';
  /** Stage CLI hourly window: start exclusive, end inclusive, whole UTC hours. */
  window: { start: string; end: string };
  /** True when the window was shortened to `maxWindowHours`: older hours need a backfill. */
  capped: boolean;
  skip: Record<Stage, boolean>;
  /** Only a window past the stored watermark moves it; a manual re-run of an old hour does not. */
  advanceWatermark: boolean;
  /** Epoch seconds as strings, because the lock task passes them to DynamoDB as `N` values. */
  lock: { acquiredAt: string; nowEpoch: string; expiresAtEpoch: string };
  input: HourlyInput;
}

export interface PlanHourlyDeps {
  readonly state: PipelineStateStore;
  readonly settings: HourlyPlanSettings;
  readonly now: Date;
  readonly randomHex?: () => string;
}

/**
 * Window = (base − margin, end], base = the stored watermark (or end − 1 h without one, or for a manual
 * re-run), never later than end − 1 h; shortened to `maxWindowHours`. Re-reading the margin hours is
 * what picks up late data; it is safe because every stage write is idempotent.
 */
export async function planHourly(rawInput: unknown, deps: PlanHourlyDeps): Promise<HourlyPlan> {
  const input = parseInput(HourlyInputSchema, rawInput, ERROR_NAMES.invalidHourlyInput, 'hourly input');
  const { settings, now } = deps;
  const manual = input.windowEnd !== undefined;
  const end = manual ? new Date(input.windowEnd as string) : floorToHour(new Date(input.scheduledTime as string));
  if (end.getTime() > now.getTime()) {
    const field = manual ? 'windowEnd' : 'scheduledTime';
    throw new PipelineError(
      ERROR_NAMES.invalidHourlyInput,
      `invalid hourly input: ${field} ${JSON.stringify(input[field])} lies in the future (now ${now.toISOString()}); ` +
        'only a completed hour can be processed',
    );
  }
  const lastHour = addHours(end, -1);
  const watermark = await deps.state.getWatermark('hourly');
  const stored = watermark === undefined ? undefined : new Date(watermark.windowEnd);
  const base = manual || stored === undefined || stored > lastHour ? lastHour : stored;
  let start = addHours(base, -settings.lateDataMarginHours);
  const capped = hoursBetween(start, end) > settings.maxWindowHours;
  if (capped) start = addHours(end, -settings.maxWindowHours);

  const skipped = new Set(input.skipStages ?? []);
  const nowEpoch = Math.floor(now.getTime() / 1000);
  return {
    pipeline: 'hourly',
    runId: makeRunId('hourly', end, deps.randomHex),
    trigger: manual ? 'manual' : 'schedule',
    window: { start: formatIsoHour(start), end: formatIsoHour(end) },
    capped,
    skip: Object.fromEntries(STAGES.map((stage) => [stage, skipped.has(stage)])) as Record<Stage, boolean>,
    advanceWatermark: stored === undefined || end > stored,
    lock: {
      acquiredAt: now.toISOString(),
      nowEpoch: String(nowEpoch),
      expiresAtEpoch: String(nowEpoch + settings.lockTtlSeconds),
    },
    input,
  };
}
