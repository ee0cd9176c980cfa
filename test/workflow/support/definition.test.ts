import { type CfnTemplate, DefinitionError, stateMachineDefinition, stateMachineDefinitions } from '../../../local/definition';

const lake: CfnTemplate = {
  Resources: { LakeBucket: { Type: 'AWS::S3::Bucket' } },
  Outputs: {
    ExportLake: { Value: { Ref: 'LakeBucket' }, Export: { Name: 'AqiDataLake:ExportsOutputRefLakeBucket' } },
  },
};

const pipeline: CfnTemplate = {
  Resources: {
    PlanFn: { Type: 'AWS::Lambda::Function' },
    Table: { Type: 'AWS::DynamoDB::Table' },
    HourlyStateMachineABC: {
      Type: 'AWS::StepFunctions::StateMachine',
      Properties: {
        DefinitionString: {
          'Fn::Join': [
            '',
            [
              '{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"',
              { 'Fn::GetAtt': ['PlanFn', 'Arn'] },
              '","Parameters":{"Table":"',
              { Ref: 'Table' },
              '","Lake":"s3://',
              { 'Fn::ImportValue': 'AqiDataLake:ExportsOutputRefLakeBucket' },
              '/","Partition":"',
              { Ref: 'AWS::Partition' },
              '"},"TimeoutSeconds":5,"End":true}}}',
            ],
          ],
        },
      },
    },
  },
};

describe('stateMachineDefinition', () => {
  test('resolves GetAtt, Ref, pseudo parameters and imports to deterministic placeholders', () => {
    const definition = stateMachineDefinition(pipeline, 'Hourly', { exportingTemplates: [lake] });
    expect(definition.States.A).toEqual({
      Type: 'Task',
      Resource: 'arn:aws:lambda:us-east-1:123456789012:function:PlanFn',
      Parameters: { Table: 'Table', Lake: 's3://lakebucket/', Partition: 'aws' },
      TimeoutSeconds: 5,
      End: true,
    });
  });

  test('uses the values the caller gives, also inside the exporting template', () => {
    const definition = stateMachineDefinition(pipeline, 'Hourly', {
      exportingTemplates: [lake],
      values: { LakeBucket: 'my-lake', 'PlanFn.Arn': 'arn:aws:lambda:eu-west-1:111111111111:function:plan', Table: 'pipeline' },
    });
    expect(definition.States.A?.Parameters).toEqual({ Table: 'pipeline', Lake: 's3://my-lake/', Partition: 'aws' });
    expect(definition.States.A?.Resource).toBe('arn:aws:lambda:eu-west-1:111111111111:function:plan');
  });

  test('an import without its exporting template is named', () => {
    expect(() => stateMachineDefinitions(pipeline)).toThrow(
      new DefinitionError("Fn::ImportValue AqiDataLake:ExportsOutputRefLakeBucket: pass the exporting stack's template in exportingTemplates"),
    );
  });

  test('a prefix matching no state machine lists the ones there are', () => {
    expect(() => stateMachineDefinition(pipeline, 'Backfill', { exportingTemplates: [lake] })).toThrow(
      'expected exactly one state machine whose logical id starts with "Backfill", found none (state machines: HourlyStateMachineABC)',
    );
  });

  test('an intrinsic it cannot evaluate is refused rather than passed through', () => {
    const template: CfnTemplate = {
      Resources: { Sm: { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: { 'Fn::If': ['c', 'a', 'b'] } } } },
    };
    expect(() => stateMachineDefinitions(template)).toThrow('unsupported intrinsic Fn::If in a state machine definition');
  });
});
