import { ERROR_NAMES, PipelineError } from '../../core/errors';
import { parseInput } from '../../core/input';
import type { Stage } from '../../core/layout';
import { STAGES } from '../../core/layout';
import type { MetricsSink, PipelineStateStore } from '../../core/ports';
import { makeRunId } from '../../core/run-id';
import { floorToHour, formatIsoHour, hoursBetween } from '../../core/time';
import { type CatchUpBackfill, planCatchUpBackfill } from './catch-up';
import { watermarkAgeMetric } from '../../core/metrics';
import { type HourlyInput, HourlyInputSchema } from '../../core/hourly/input';
import { hourlyWindow } from './window';
import { type HourlyClusterShape, type HourlySizingSettings, sizeHourlyCluster } from '../../core/hourly/sizing';

export interface HourlyPlanSettings {
  readonly lateDataMarginHours: number;
  readonly maxWindowHours: number;
  readonly lockTtlSeconds: number;
  /** A gap from the watermark longer than this starts a backfill (`hourly.backfillAfterGapHours`). */
  readonly backfillAfterGapHours: number;
  readonly maxBackfillRangeDays: number;
  readonly metricsNamespace: string;
  /** The configured locations: with the window's hours, what the cluster is sized for. */
  readonly locationCount: number;
  readonly sizing: HourlySizingSettings;
}

/** `$.plan` of the hourly state machine (see lib/workflow/state-paths.ts). */
export interface HourlyPlan {
  pipeline: 'hourly';
  runId: string;
  trigger: 'schedule' | 'manual';
  /** Stage CLI hourly window: start exclusive, end inclusive, whole UTC hours. */
  window: { start: string; end: string };
  /** True when the window ends before the hour just ended: the next scheduled runs continue the catch-up. */
  capped: boolean;
  skip: Record<Stage, boolean>;
  /** The cluster's shape for this window (sizing.ts). */
  cluster: HourlyClusterShape;
  /** The stored watermark when the run was planned (`null` before the first run). */
  watermark: string | null;
  /**
   * Whether finalize may move the watermark to `window.end`: the window joins the processed range and
   * every stage runs. Finalize re-checks the join against the watermark it finds.
   */
  advanceWatermark: boolean;
  /** Set when the gap is too long for hourly runs: the run starts this backfill and processes nothing itself. */
  catchUpBackfill: CatchUpBackfill | null;
  /** Epoch seconds as strings, because the lock task passes them to DynamoDB as `N` values. */
  lock: { acquiredAt: string; nowEpoch: string; expiresAtEpoch: string };
  input: HourlyInput;
}

export interface PlanHourlyDeps {
  readonly state: PipelineStateStore;
  readonly metrics: MetricsSink;
  readonly settings: HourlyPlanSettings;
  readonly now: Date;
  readonly randomHex?: () => string;
}

/**
 * Plans one hourly execution (window rules in `window.ts`, the backfill hand-over in `catch-up.ts`) and
 * publishes the watermark's age, so the freshness alarm sees every run, skipped ones included: every
 * execution passes through here, and a run that finds the lock held ends without another Lambda.
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
  const stored = await deps.state.getWatermark('hourly');
  const age = watermarkAgeMetric(stored, now);
  if (age.length > 0) await deps.metrics.putMetrics(settings.metricsNamespace, age);
  const window = hourlyWindow(manual ? 'manual' : 'schedule', end, stored, settings);
  const catchUpBackfill = manual ? null : planCatchUpBackfill(end, stored, await deps.state.getLock(), now, settings);

  const skipped = new Set(input.skipStages ?? []);
  const nowEpoch = Math.floor(now.getTime() / 1000);
  return {
    pipeline: 'hourly',
    runId: makeRunId('hourly', end, deps.randomHex),
    trigger: manual ? 'manual' : 'schedule',
    window: { start: formatIsoHour(window.start), end: formatIsoHour(window.end) },
    capped: window.capped,
    skip: Object.fromEntries(STAGES.map((stage) => [stage, skipped.has(stage)])) as Record<Stage, boolean>,
    watermark: stored?.windowEnd ?? null,
    cluster: sizeHourlyCluster(settings.locationCount, hoursBetween(window.start, window.end), settings.sizing),
    advanceWatermark: window.advancesWatermark && skipped.size === 0 && catchUpBackfill === null,
    catchUpBackfill,
    lock: {
      acquiredAt: now.toISOString(),
      nowEpoch: String(nowEpoch),
      expiresAtEpoch: String(nowEpoch + settings.lockTtlSeconds),
    },
    input,
  };
}
