import type { Stage } from './layout';
import { STAGES } from './layout';
import type { PipelineStateStore, WatermarkRecord } from './ports';
import type { StageRecord } from './manifest';
import type { FinalizeInput } from './finalize-input';

/**
 * Moves the hourly watermark to the end of this run's window, only when the run processed a range that
 * joins the one already processed:
 * - the run succeeded, its plan allowed the move (no stage skipped, the window joins the watermark), and
 *   Bronze, Silver and Gold each have a SUCCEEDED result, i.e. the hours were ingested and promoted;
 * - the watermark found now still lies inside the window (`start <= watermark < end`), so no hour between
 *   them is passed over even if another run moved it after this one was planned; without a watermark,
 *   only a run planned without one (the first) starts the range.
 * A pending catch-up backfill is kept until the watermark reaches the point it would move it to.
 */
export async function advanceHourlyWatermark(
  input: FinalizeInput,
  stages: Partial<Record<Stage, StageRecord>>,
  state: PipelineStateStore,
  updatedAt: string,
): Promise<boolean> {
  const window = input.plan.window;
  if (input.outcome !== 'SUCCEEDED' || input.pipeline !== 'hourly' || input.plan.advanceWatermark !== true || window === undefined) return false;
  if (!STAGES.every((stage) => stages[stage]?.status === 'SUCCEEDED')) return false;
  const current = await state.getWatermark('hourly');
  const start = Date.parse(window.start);
  const end = Date.parse(window.end);
  if (current === undefined) {
    if (input.plan.watermark !== null) return false;
  } else {
    const stored = Date.parse(current.windowEnd);
    if (!(start <= stored && stored < end)) return false;
  }
  const record: WatermarkRecord = { windowEnd: window.end, runId: input.plan.runId, updatedAt };
  if (current?.catchUp !== undefined && Date.parse(current.catchUp.windowEnd) > end) record.catchUp = current.catchUp;
  await state.putWatermark('hourly', record);
  return true;
}

/** Records the catch-up backfill this run started, so its successful end moves the watermark. */
export async function recordCatchUpBackfill(
  state: PipelineStateStore,
  executionArn: string,
  watermarkTo: string,
): Promise<WatermarkRecord | undefined> {
  const current = await state.getWatermark('hourly');
  if (current === undefined) return undefined;
  const record: WatermarkRecord = { ...current, catchUp: { executionArn, windowEnd: watermarkTo } };
  await state.putWatermark('hourly', record);
  return record;
}

/**
 * Called by a backfill's finalize: if this execution is the pending catch-up backfill and it succeeded,
 * the hours it covered are processed, so the watermark moves to where the catch-up said (never back).
 */
export async function completeCatchUpBackfill(
  state: PipelineStateStore,
  executionArn: string,
  runId: string,
  succeeded: boolean,
  updatedAt: string,
): Promise<boolean> {
  const current = await state.getWatermark('hourly');
  if (current?.catchUp === undefined || current.catchUp.executionArn !== executionArn) return false;
  if (!succeeded) return false;
  const to = current.catchUp.windowEnd;
  if (Date.parse(to) <= Date.parse(current.windowEnd)) {
    await state.putWatermark('hourly', { windowEnd: current.windowEnd, runId: current.runId, updatedAt: current.updatedAt });
    return false;
  }
  await state.putWatermark('hourly', { windowEnd: to, runId, updatedAt });
  return true;
}
