import { ERROR_NAMES } from '../../core/errors';
import { parseInput } from '../../core/input';
import type { Logger, StepControl } from '../../core/ports';
import { CancelStepsInputSchema } from './schema';

export interface CancelStepsResult {
  clusterId: string;
  cancelledStepIds: string[];
}

/**
 * Cancels whatever the cluster is still running or about to run, or only the steps named `stepName`.
 * The teardown and a timed-out backfill chunk need this because a `.sync` step task that times out does
 * not hand back its step id, and Step Functions' own cancel on timeout is not documented; listing the
 * cluster's PENDING/RUNNING steps finds the step either way. A chunk's step must go, or it keeps one
 * of the cluster's step-concurrency slots and the chunks queued behind it time out in turn.
 */
export async function cancelActiveSteps(rawInput: unknown, steps: StepControl, log: Logger): Promise<CancelStepsResult> {
  const { clusterId, stepName } = parseInput(CancelStepsInputSchema, rawInput, ERROR_NAMES.invalidCancelStepsInput, 'cancel-steps input');
  const active = await steps.listActiveSteps(clusterId, stepName);
  if (active.length > 0) await steps.cancelSteps(clusterId, active);
  log.info('cancelled active steps', { clusterId, ...(stepName === undefined ? {} : { stepName }), stepIds: active });
  return { clusterId, cancelledStepIds: active };
}
