import type { z } from 'zod';
import { PipelineError, type PipelineErrorName } from './errors';

/**
 * Validates `value` against `schema` and throws a `PipelineError` named `errorName` whose message names
 * every offending field, the value seen and what is allowed — never a stack of zod internals.
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  errorName: PipelineErrorName,
  what: string,
): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.join('.') : '(input)';
    return `${field}: ${issue.message} (got ${describe(valueAt(value, issue.path))})`;
  });
  throw new PipelineError(errorName, `invalid ${what}: ${problems.join('; ')}`);
}

/** The value at a zod issue path, so messages can show what was actually given. */
export function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let current: unknown = root;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
