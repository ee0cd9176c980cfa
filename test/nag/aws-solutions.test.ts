import { AwsSolutionsChecks } from 'cdk-nag';
import { synthesize, type SynthesizedApp } from '../workflow/support/synth';

let synthesized: SynthesizedApp;

beforeAll(() => {
  synthesized = synthesize();
});

/** `RuleId` at `path`: one line per unacknowledged finding, so a failure lists exactly what to fix. */
function findings(stack: SynthesizedApp['dataLake'] | SynthesizedApp['pipeline']): string[] {
  const report = new AwsSolutionsChecks().validateScope(stack);
  return report.violations.flatMap((violation) =>
    violation.violatingResources.map((resource) => `${violation.ruleName} at ${resource.constructPath ?? resource.resourceLogicalId}`),
  );
}

describe('cdk-nag AwsSolutions', () => {
  test('the data-lake stack has no unacknowledged finding', () => {
    expect(findings(synthesized.dataLake)).toEqual([]);
  });

  test('the pipeline stack has no unacknowledged finding', () => {
    expect(findings(synthesized.pipeline)).toEqual([]);
  });
});
