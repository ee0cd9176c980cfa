import { Match } from 'aws-cdk-lib/assertions';
import { RunPriceTableSchema } from '../../core/pricing';
import { HOURLY_STATES } from '../../lib/hourly-workflow';
import { type AslState, type CfnTemplate, stateMachineDefinition } from '../../local/definition';
import { defaultRawConfig, type SynthesizedApp, synthesize } from '../workflow/support/synth';

/** The backfill's createCluster state (lib/workflow/backfill-definition.ts). */
const BACKFILL_CREATE_CLUSTER = 'Create cluster';

let synthesized: SynthesizedApp;

beforeAll(() => {
  synthesized = synthesize();
});

type Resource = { Type: string; Properties?: { Tags?: unknown } };

/** Tags as CloudFormation holds them: a `[{Key, Value}]` list, or a map for a few resource types. */
function tagsOf(resource: Resource): Record<string, unknown> | undefined {
  const tags = resource.Properties?.Tags;
  if (tags === undefined) return undefined;
  if (Array.isArray(tags)) return Object.fromEntries((tags as { Key: string; Value: unknown }[]).map((t) => [t.Key, t.Value]));
  return tags as Record<string, unknown>;
}

function resourcesOf(template: CfnTemplate): [string, Resource][] {
  return Object.entries(template.Resources as Record<string, Resource>);
}

function stateOf(json: CfnTemplate, machine: 'Hourly' | 'Backfill', name: string): AslState {
  const definition = stateMachineDefinition(json, machine, { exportingTemplates: [synthesized.dataLakeJson] });
  const found = definition.States[name];
  if (found === undefined) throw new Error(`no state "${name}" in ${machine}`);
  return found;
}

describe('cost-allocation tags in the templates', () => {
  test('every tagged resource of both stacks carries project = aqi-pipeline', () => {
    for (const template of [synthesized.dataLakeJson, synthesized.pipelineJson]) {
      const tagged = resourcesOf(template).filter(([, r]) => tagsOf(r) !== undefined);
      expect(tagged.length).toBeGreaterThan(5);
      for (const [id, resource] of tagged) expect([id, tagsOf(resource)?.['project']]).toEqual([id, 'aqi-pipeline']);
    }
  });

  test('the resources that cost money are among them: buckets, key, table, VPC and NAT gateway, Lambdas, state machines, log groups, topic', () => {
    // CDK's own custom-resource providers (`Custom*` ids) are raw CloudFormation resources CDK's tag aspect
    // cannot reach; everything the stacks define is.
    const all = [...resourcesOf(synthesized.dataLakeJson), ...resourcesOf(synthesized.pipelineJson)].filter(([id]) => !id.startsWith('Custom'));
    const untagged = all.filter(([, r]) => tagsOf(r) === undefined).map(([, r]) => r.Type);
    for (const type of [
      'AWS::S3::Bucket',
      'AWS::KMS::Key',
      'AWS::DynamoDB::Table',
      'AWS::EC2::VPC',
      'AWS::EC2::NatGateway',
      'AWS::Lambda::Function',
      'AWS::StepFunctions::StateMachine',
      'AWS::Logs::LogGroup',
      'AWS::SNS::Topic',
    ]) {
      expect([type, all.some(([, r]) => r.Type === type)]).toEqual([type, true]);
      expect([type, untagged.includes(type)]).toEqual([type, false]);
    }
  });

  test('aqi-pipeline:pipeline says what a resource serves: hourly, backfill or shared', () => {
    const pipelineTags = (logicalIdPrefix: string) => {
      const found = resourcesOf(synthesized.pipelineJson).filter(([id, r]) => id.startsWith(logicalIdPrefix) && tagsOf(r) !== undefined);
      if (found.length === 0) throw new Error(`no tagged resource ${logicalIdPrefix}*`);
      return [...new Set(found.map(([, r]) => tagsOf(r)?.['aqi-pipeline:pipeline']))];
    };
    expect(pipelineTags('HourlyStateMachine')).toEqual(['hourly']);
    expect(pipelineTags('HourlyLogs')).toEqual(['hourly']);
    expect(pipelineTags('PlanHourly')).toEqual(['hourly']); // function, role and log group
    expect(pipelineTags('Finalize')).toEqual(['hourly']);
    expect(pipelineTags('BackfillStateMachine')).toEqual(['backfill']);
    expect(pipelineTags('BackfillPlanBackfill')).toEqual(['backfill']);
    expect(pipelineTags('Janitor')).toEqual(['shared']);
    expect(pipelineTags('CancelSteps')).toEqual(['shared']);
    expect(pipelineTags('NetworkVpc')).toEqual(['shared']);
    const lakeBucket = resourcesOf(synthesized.dataLakeJson).find(([id]) => id === 'LakeBucket');
    expect(tagsOf(lakeBucket![1])?.['aqi-pipeline:pipeline']).toBe('shared');
  });

  test.each(['Hourly', 'Backfill'] as const)('%s clusters are tagged with the project, the pipeline and the run id', (machine) => {
    const create = stateOf(synthesized.pipelineJson, machine, HOURLY_STATES.createCluster);
    expect((create.Parameters as { Tags: unknown[] }).Tags).toEqual(
      expect.arrayContaining([
        { Key: 'project', Value: 'aqi-pipeline' },
        { Key: 'aqi-pipeline:pipeline', Value: machine.toLowerCase() },
        { Key: 'aqi-pipeline:run-id', 'Value.$': '$.plan.runId' },
      ]),
    );
  });
});

describe('cluster shapes in the definitions', () => {
  test('the hourly plan chooses the shape: a single-node createCluster has the primary fleet only', () => {
    const choice = stateOf(synthesized.pipelineJson, 'Hourly', HOURLY_STATES.chooseShape);
    expect(choice.Choices).toEqual([{ Variable: '$.plan.cluster.primaryOnly', BooleanEquals: true, Next: HOURLY_STATES.createSingleNodeCluster }]);
    expect(choice.Default).toBe(HOURLY_STATES.createCluster);
    const single = stateOf(synthesized.pipelineJson, 'Hourly', HOURLY_STATES.createSingleNodeCluster).Parameters as { Instances: { InstanceFleets: unknown[] } };
    expect(single.Instances.InstanceFleets).toEqual([
      { InstanceFleetType: 'MASTER', Name: 'master', TargetOnDemandCapacity: 1, InstanceTypeConfigs: [{ InstanceType: 'm7g.xlarge' }] },
    ]);
  });

  test('the hourly createCluster with core nodes takes their count from the plan', () => {
    const withCore = stateOf(synthesized.pipelineJson, 'Hourly', HOURLY_STATES.createCluster).Parameters as { Instances: { InstanceFleets: unknown[] } };
    expect(withCore.Instances.InstanceFleets[1]).toEqual({
      InstanceFleetType: 'CORE',
      Name: 'core',
      'TargetOnDemandCapacity.$': '$.plan.cluster.coreInstanceCount',
      InstanceTypeConfigs: [{ InstanceType: 'm7g.xlarge' }],
    });
  });

  test('by default the backfill is On-Demand throughout, with managed scaling from the plan', () => {
    const params = stateOf(synthesized.pipelineJson, 'Backfill', BACKFILL_CREATE_CLUSTER).Parameters as Record<string, unknown>;
    expect((params.Instances as { InstanceFleets: unknown[] }).InstanceFleets).toEqual([
      { InstanceFleetType: 'MASTER', Name: 'master', TargetOnDemandCapacity: 1, InstanceTypeConfigs: [{ InstanceType: 'm7g.xlarge' }] },
      { InstanceFleetType: 'CORE', Name: 'core', TargetOnDemandCapacity: 2, InstanceTypeConfigs: [{ InstanceType: 'm7g.xlarge' }] },
    ]);
    expect(params.ManagedScalingPolicy).toEqual({
      ComputeLimits: {
        UnitType: 'InstanceFleetUnits',
        'MinimumCapacityUnits.$': '$.plan.cluster.minCapacityUnits',
        'MaximumCapacityUnits.$': '$.plan.cluster.maxCapacityUnits',
      },
    });
  });

  test('backfill.capacity.coreMarket SPOT: an On-Demand primary, a Spot core fleet over the configured types, no On-Demand scaling', () => {
    const raw = defaultRawConfig();
    raw.backfill = { ...(raw.backfill as object), capacity: { coreMarket: 'SPOT', spotInstanceTypes: ['m7g.xlarge', 'm6g.xlarge'], spotTimeoutMinutes: 15 } };
    const spot = synthesize(raw);
    const params = stateOf(spot.pipelineJson, 'Backfill', BACKFILL_CREATE_CLUSTER).Parameters as Record<string, unknown>;

    expect((params.Instances as { InstanceFleets: unknown[] }).InstanceFleets).toEqual([
      { InstanceFleetType: 'MASTER', Name: 'master', TargetOnDemandCapacity: 1, InstanceTypeConfigs: [{ InstanceType: 'm7g.xlarge' }] },
      {
        InstanceFleetType: 'CORE',
        Name: 'core',
        TargetSpotCapacity: 2,
        InstanceTypeConfigs: [
          { InstanceType: 'm7g.xlarge', WeightedCapacity: 1 },
          { InstanceType: 'm6g.xlarge', WeightedCapacity: 1 },
        ],
        LaunchSpecifications: {
          SpotSpecification: { AllocationStrategy: 'price-capacity-optimized', TimeoutAction: 'SWITCH_TO_ON_DEMAND', TimeoutDurationMinutes: 15 },
        },
      },
    ]);
    expect((params.ManagedScalingPolicy as { ComputeLimits: Record<string, unknown> }).ComputeLimits.MaximumOnDemandCapacityUnits).toBe(0);
    // The hourly clusters are not affected.
    const hourly = stateOf(spot.pipelineJson, 'Hourly', HOURLY_STATES.createCluster).Parameters as { Instances: { InstanceFleets: { TargetSpotCapacity?: number }[] } };
    expect(hourly.Instances.InstanceFleets.every((f) => f.TargetSpotCapacity === undefined)).toBe(true);
  });
});

describe('cost recording wiring', () => {
  test.each(['finalize', 'backfill-finalize'])('%s gets the dated prices of the configured types and may read the cluster from EMR', (name) => {
    const template = synthesized.pipelineTemplate;
    const functions = template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.anyValue() } });
    const entry = Object.entries(functions).find(([, f]) => {
      const env = (f as { Properties: { Environment?: { Variables?: Record<string, unknown> } } }).Properties.Environment?.Variables ?? {};
      return env.PRICE_TABLE !== undefined && String((f as { Properties: { Description: string } }).Properties.Description).includes(name === 'finalize' ? 'advances the hourly watermark' : 'backfill manifest');
    });
    expect(entry).toBeDefined();
    const [logicalId, fn] = entry as [string, { Properties: { Environment: { Variables: { PRICE_TABLE: string } } } }];
    expect(RunPriceTableSchema.parse(JSON.parse(fn.Properties.Environment.Variables.PRICE_TABLE))).toEqual({
      region: 'us-east-1',
      currency: 'USD',
      pricesAsOf: '2026-11-30',
      instances: { 'm7g.xlarge': { ec2OnDemand: 0.1632, ec2Spot: 0.0653, emr: 0.0408 } },
    });
    const role = (fn as unknown as { Properties: { Role: { 'Fn::GetAtt': [string, string] } } }).Properties.Role['Fn::GetAtt'][0];
    const allowed = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === role))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Effect: string; Action: string | string[] }[])
      .filter((st) => st.Effect === 'Allow')
      .flatMap((st) => [st.Action].flat());
    expect(allowed).toEqual(expect.arrayContaining(['elasticmapreduce:ListInstances', 'elasticmapreduce:DescribeCluster']));
    expect(logicalId).toBeTruthy();
  });
});
