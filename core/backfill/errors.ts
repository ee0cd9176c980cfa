import type { z } from 'zod';

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

/**
 * A backfill Lambda got state it cannot use from the state machine (a wiring bug, not operator input):
 * named so the execution's failure says which state carried what.
 */
export class InvalidBackfillState extends Error {
  override readonly name = 'InvalidBackfillState';
}

export function parseBackfillState<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(value, { reportInput: true });
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'} = ${JSON.stringify(i.input) ?? 'nothing'}: ${i.message}`);
  throw new InvalidBackfillState(`invalid ${what}: ${problems.join('; ')}`);
}
