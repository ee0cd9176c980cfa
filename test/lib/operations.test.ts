import { Match, type Template } from 'aws-cdk-lib/assertions';
import { APP_TAGS } from '../../lib/app';
import { PIPELINE_OUTPUTS } from '../../lib/stack-outputs';
import { synthesize } from '../workflow/support/synth';

let template: Template;
let dashboardBody: string;

beforeAll(() => {
  template = synthesize().pipelineTemplate;
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  // The body is a Fn::Join of JSON text; without the escaping its widgets read as plain JSON.
  dashboardBody = JSON.stringify(dashboards[0]?.Properties?.DashboardBody).replaceAll('\\', '');
});

describe('pipeline stack outputs', () => {
  test.each([
    [PIPELINE_OUTPUTS.hourlyStateMachineArn, { Ref: Match.stringLikeRegexp('^HourlyStateMachine') }],
    [PIPELINE_OUTPUTS.backfillStateMachineArn, { Ref: Match.stringLikeRegexp('^BackfillStateMachine') }],
    [PIPELINE_OUTPUTS.topicArn, { Ref: Match.stringLikeRegexp('^Notifications') }],
    [PIPELINE_OUTPUTS.lakeBucketName, { 'Fn::ImportValue': Match.stringLikeRegexp('LakeBucket') }],
  ])('%s names the deployed resource', (key, value) => {
    template.hasOutput(key, { Value: value });
  });

  test("the console URLs open the state machines and the dashboard in the stack's region", () => {
    const joined = (key: string) => JSON.stringify(template.findOutputs(key)[key]?.Value);
    expect(joined(PIPELINE_OUTPUTS.hourlyConsoleUrl)).toMatch(/console\.aws\.amazon\.com\/states\/home\?region=.*#\/statemachines\/view\/.*HourlyStateMachine/);
    expect(joined(PIPELINE_OUTPUTS.backfillConsoleUrl)).toMatch(/#\/statemachines\/view\/.*BackfillStateMachine/);
    expect(joined(PIPELINE_OUTPUTS.dashboardUrl)).toMatch(/cloudwatch\/home\?region=.*#dashboards\/dashboard\/.*MonitoringDashboard/);
  });
});

describe('dashboard', () => {
  test('has a fixed name: the stack name and the region, as dashboards are global to the account', () => {
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: { 'Fn::Join': ['', ['AqiPipeline-', { Ref: 'AWS::Region' }]] },
    });
  });

  test('shows both pipelines, the hourly stage durations, every Lambda, execution times and data freshness', () => {
    const titles = ['Hourly executions', 'Backfill executions', 'Hourly stage durations (s)', 'Lambda errors and throttles', 'Backfill execution time (minutes)', 'Hourly watermark age (h)'];
    for (const title of titles) {
      expect(dashboardBody).toContain(title);
    }
    for (const fn of ['PlanHourly', 'Finalize', 'CancelSteps', 'Janitor', 'PlanBackfill', 'RecordChunk', 'FanIn', 'FinalizeBackfill']) {
      expect(dashboardBody).toContain(`"label":"${fn} errors"`);
    }
  });
});

describe('app-wide tags', () => {
  test.each(Object.entries(APP_TAGS))('every taggable resource carries %s=%s', (key, value) => {
    for (const type of ['AWS::SNS::Topic', 'AWS::StepFunctions::StateMachine', 'AWS::Lambda::Function', 'AWS::IAM::Role']) {
      // CDK's own custom-resource providers (e.g. the one that empties the VPC's default security group,
      // feature flag @aws-cdk/aws-ec2:restrictDefaultSecurityGroup) are raw CfnResources Tags cannot reach.
      const resources = Object.entries(template.findResources(type))
        .filter(([id]) => !id.includes('CustomResourceProvider'))
        .map(([, resource]) => resource);
      expect(resources.length).toBeGreaterThan(0);
      for (const resource of resources) {
        const tags = resource.Properties.Tags as { Key: string; Value: string }[] | Record<string, string>;
        const asMap = Array.isArray(tags) ? Object.fromEntries(tags.map((t) => [t.Key, t.Value])) : tags;
        expect(asMap).toMatchObject({ [key]: value, component: 'orchestration' });
      }
    }
  });
});
