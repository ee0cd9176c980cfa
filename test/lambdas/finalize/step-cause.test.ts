import { failedStageStepInCause } from '../../../core/step-cause';

const describedStep = (step: Record<string, unknown>) => JSON.stringify({ Step: { Status: { State: 'FAILED' }, ...step } });

describe('failedStageStepInCause', () => {
  test.each([
    [describedStep({ Id: 's-1', Name: 'silver' }), { stage: 'silver', stepId: 's-1' }],
    [describedStep({ Id: 's-2', Name: 'gold' }), { stage: 'gold', stepId: 's-2' }],
    [describedStep({ Id: 's-3', Name: 'bronze' }), { stage: 'bronze', stepId: 's-3' }],
  ])('reads the stage and step id of the step described in %s', (cause, expected) => {
    expect(failedStageStepInCause(cause)).toEqual(expected);
  });

  test.each([
    ['a backfill chunk step, named after its chunk rather than a stage', describedStep({ Id: 's-4', Name: 'bronze 2024-01' })],
    ['a step description without an id', describedStep({ Name: 'silver' })],
    ['a step description without a name', describedStep({ Id: 's-5' })],
    ['a plain-text cause, as for a timeout', 'Task timed out'],
    ['JSON that is not a step description', '{"errorMessage":"boom"}'],
    ['JSON null', 'null'],
    ['an empty cause', ''],
    ['no cause at all', undefined],
  ])('names no stage step for %s', (_what, cause) => {
    expect(failedStageStepInCause(cause)).toBeNull();
  });
});
