/**
 * The backfill input was rejected. Step Functions matches `name` in `ErrorEquals`, and the state machine
 * lets it fail the execution at once, before any lock or cluster exists.
 */
export class InvalidBackfillInput extends Error {
  override readonly name = 'InvalidBackfillInput';

  constructor(readonly problems: readonly string[]) {
    super(problems.join('; '));
  }
}
