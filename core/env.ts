import * as z from 'zod';
import { ERROR_NAMES } from './errors';
import { parseInput } from './input';

/**
 * Reads and validates the Lambda's environment once (call it at module scope, at cold start), so a
 * misconfigured function fails on its first invocation with a message naming the variable.
 */
export function readEnv<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  return parseInput(schema, env, ERROR_NAMES.invalidEnvironment, 'environment');
}

export const nonEmpty = z.string().min(1, 'must be set and non-empty');
export const positiveIntFromString = z.coerce.number().int().positive();
