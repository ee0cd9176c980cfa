import { type Stage, STAGES } from './layout';

/** The EMR step a failed `addStep.sync` task names in its error, and the stage it ran. */
export interface FailedStageStep {
  readonly stage: Stage;
  readonly stepId: string;
}

/**
 * When an `addStep.sync` step fails, Step Functions puts the step's description (`{ Step: { Id, Name,
 * Status } }`, as JSON text) in the error's Cause. Whole-run stage steps are named after their stage
 * (lib/workflow/stage-step.ts), so the Cause says which stage failed even though the task wrote no
 * output to `$.steps`. Timeouts, API errors and chunk steps (`bronze <chunkId>`) name no stage: null.
 */
export function failedStageStepInCause(cause: string | null | undefined): FailedStageStep | null {
  if (!cause) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(cause);
  } catch {
    return null;
  }
  const step = (parsed as { Step?: { Id?: unknown; Name?: unknown } } | null)?.Step;
  if (typeof step?.Id !== 'string' || step.Id === '' || typeof step.Name !== 'string') return null;
  const stage = STAGES.find((s) => s === step.Name);
  return stage === undefined ? null : { stage, stepId: step.Id };
}

/**
 * `addStep` answers `{ StepId }`; the `.sync` integration answers with the step description
 * (`{ Step: { Id } }`). Both are accepted so the manifest has the id whichever the task returned.
 */
export function stepIdOf(output: unknown): string | null {
  if (output === null || typeof output !== 'object') return null;
  const record = output as { StepId?: unknown; Step?: { Id?: unknown } };
  if (typeof record.StepId === 'string') return record.StepId;
  if (typeof record.Step?.Id === 'string') return record.Step.Id;
  return null;
}
