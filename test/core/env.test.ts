import * as z from 'zod';
import { readEnv } from '../../core/env';
import { PipelineError } from '../../core/errors';
import { PlanHourlyEnvSchema } from '../../lambdas/plan-hourly/wiring';

/** plan-hourly's catch-up and sizing variables, as CDK writes them (lib/hourly-functions.ts). */
const SIZING_ENV = {
  BACKFILL_AFTER_GAP_HOURS: '168',
  MAX_BACKFILL_RANGE_DAYS: '1096',
  METRICS_NAMESPACE: 'AqiPipeline',
  LOCATION_COUNT: '100',
  SIZING_MODE: 'auto',
  PRIMARY_ONLY_MAX_LOCATION_HOURS: '20000',
  LOCATION_HOURS_PER_CORE_INSTANCE: '20000',
  MAX_CORE_INSTANCES: '4',
  CORE_INSTANCE_COUNT: '2',
};

describe('readEnv', () => {
  test('parses and coerces the variables a Lambda declares', () => {
    const env = readEnv(PlanHourlyEnvSchema, {
      TABLE_NAME: 'pipeline',
      LATE_DATA_MARGIN_HOURS: '3',
      MAX_WINDOW_HOURS: '72',
      LOCK_TTL_SECONDS: '23400',
      ...SIZING_ENV,
    });
    expect(env).toEqual({
      TABLE_NAME: 'pipeline',
      LATE_DATA_MARGIN_HOURS: 3,
      MAX_WINDOW_HOURS: 72,
      LOCK_TTL_SECONDS: 23400,
      BACKFILL_AFTER_GAP_HOURS: 168,
      MAX_BACKFILL_RANGE_DAYS: 1096,
      METRICS_NAMESPACE: 'AqiPipeline',
      LOCATION_COUNT: 100,
      SIZING_MODE: 'auto',
      PRIMARY_ONLY_MAX_LOCATION_HOURS: 20000,
      LOCATION_HOURS_PER_CORE_INSTANCE: 20000,
      MAX_CORE_INSTANCES: 4,
      CORE_INSTANCE_COUNT: 2,
    });
  });

  test('a missing or malformed variable fails with InvalidEnvironment naming it and the value seen', () => {
    let failure: unknown;
    try {
      readEnv(PlanHourlyEnvSchema, { LATE_DATA_MARGIN_HOURS: 'three', MAX_WINDOW_HOURS: '72', LOCK_TTL_SECONDS: '23400', ...SIZING_ENV });
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(PipelineError);
    expect((failure as PipelineError).name).toBe('InvalidEnvironment');
    expect((failure as PipelineError).message).toBe(
      'invalid environment: TABLE_NAME: Invalid input: expected string, received undefined (got nothing); ' +
        'LATE_DATA_MARGIN_HOURS: Invalid input: expected number, received NaN (got "three")',
    );
  });

  test('never echoes more than a short prefix of a long value', () => {
    expect(() => readEnv(z.object({ X: z.literal('a') }), { X: 'b'.repeat(500) })).toThrow(/\(got "b{116}\.\.\.\)$/);
  });
});
