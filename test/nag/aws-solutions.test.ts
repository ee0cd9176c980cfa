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

describe('cdk-nag AwsSolutions with a concrete environment, as `cdk synth` resolves it', () => {
  test('acknowledgements follow the region and account, so no stack has an unacknowledged finding', () => {
    const located = synthesize(undefined, { env: { account: '123456789012', region: 'eu-west-1' } });
    expect(findings(located.dataLake)).toEqual([]);
    expect(findings(located.pipeline)).toEqual([]);
  });
});
