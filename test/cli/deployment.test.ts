import type { DeployedStack } from '../../bin/cli/deployment';
import { expectedDefinitions, firstDifference } from '../../bin/cli/deployment';
import type { CfnTemplate } from '../../local/definition';
import { synthesize } from '../workflow/support/synth';

/** ListStackResources as CloudFormation answers it for a deploy: a physical id of the type's shape per resource. */
function deployedAs(name: string, template: CfnTemplate): DeployedStack {
  const physical = (logicalId: string, type: string) => {
    const id = logicalId.toLowerCase().slice(0, 12);
    switch (type) {
      case 'AWS::StepFunctions::StateMachine':
        return `arn:aws:states:eu-west-1:210987654321:stateMachine:${logicalId}-Xy12`;
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:eu-west-1:210987654321:${name}-${logicalId}-Xy12`;
      case 'AWS::EC2::SecurityGroup':
        return `sg-0${id}`;
      case 'AWS::EC2::Subnet':
        return `subnet-0${id}`;
      default:
        return `${name}-${logicalId}-Xy12`;
    }
  };
  return {
    name,
    stackId: `arn:aws:cloudformation:eu-west-1:210987654321:stack/${name}/1c2d3e4f`,
    status: 'UPDATE_COMPLETE',
    outputs: {},
    resources: Object.fromEntries(Object.entries(template.Resources ?? {}).map(([id, r]) => [id, { type: r.Type, physicalId: physical(id, r.Type) }])),
  };
}

describe('the local synth resolved against a deployment', () => {
  const app = synthesize();
  const deployed = { pipeline: deployedAs('AqiPipeline', app.pipelineJson), dataLake: deployedAs('AqiDataLake', app.dataLakeJson) };
  const definitions = expectedDefinitions({ pipeline: app.pipelineJson, dataLake: app.dataLakeJson }, deployed);

  test('gives both state machines, every reference replaced by a deployed id, region or account', () => {
    expect(Object.keys(definitions).sort()).toEqual(Object.keys(deployed.pipeline.resources).filter((id) => deployed.pipeline.resources[id].type === 'AWS::StepFunctions::StateMachine').sort());
    const text = JSON.stringify(Object.values(definitions));
    const logicalIds = [...Object.keys(deployed.pipeline.resources), ...Object.keys(deployed.dataLake.resources)];
    // Placeholders would be bare logical ids, or `LogicalId.Attribute`; deployed ids are `<stack>-<logical>-Xy12`, sg-…, subnet-….
    const unresolved = logicalIds.filter((id) => new RegExp(`(?<![-:/])${id}(?!-Xy12)`).test(text));
    expect(unresolved).toEqual([]);
    expect(text).not.toContain('123456789012');
    expect(text).toContain('arn:aws:lambda:eu-west-1:210987654321:function:AqiPipeline-PlanHourly');
    expect(text).toMatch(/"sg-0emrprimaryse/);
  });

  test('firstDifference names the path and both values, and nothing for equal documents', () => {
    const definition = Object.values(definitions)[0];
    expect(firstDifference(definition, structuredClone(definition))).toBeUndefined();
    expect(firstDifference({ States: { A: { Retry: [{ MaxAttempts: 2 }] } } }, { States: { A: { Retry: [{ MaxAttempts: 3 }] } } })).toBe('$.States.A.Retry[0].MaxAttempts: local 2, deployed 3');
    expect(firstDifference({ States: { A: {} } }, { States: { A: {}, B: {} } })).toBe('$.States.B: only in the deployed definition');
  });
});
