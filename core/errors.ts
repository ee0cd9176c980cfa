/**
 * Errors the state machines route on. Step Functions matches `ErrorEquals` against the Lambda's
 * `errorType`, which the Node.js runtime takes from `error.name`; the names are therefore set as string
 * literals (bundlers may rename classes) and exported so the CDK side routes on the same constants.
 */
export const ERROR_NAMES = {
  invalidHourlyInput: 'InvalidHourlyInput',
  invalidFinalizeInput: 'InvalidFinalizeInput',
  invalidJanitorEvent: 'InvalidJanitorEvent',
  invalidCancelStepsInput: 'InvalidCancelStepsInput',
  stageResultMissing: 'StageResultMissing',
  stageResultInvalid: 'StageResultInvalid',
  invalidEnvironment: 'InvalidEnvironment',
  invalidSecurityGroupCleanupEvent: 'InvalidSecurityGroupCleanupEvent',
  /** A backfill Lambda got state it cannot use from the state machine: a wiring bug, not operator input. */
  invalidBackfillState: 'InvalidBackfillState',
} as const;

export type PipelineErrorName = (typeof ERROR_NAMES)[keyof typeof ERROR_NAMES];

/** An expected failure with a message meant for the operator: what was wrong, the value, what to do. */
export class PipelineError extends Error {
  override readonly name: PipelineErrorName;

  constructor(name: PipelineErrorName, message: string) {
    super(message);
    this.name = name;
  }
}
