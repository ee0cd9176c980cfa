import { CloudAssembly } from '../../local/definition';

/** Two stacks shaped like the app's: the pipeline stack imports the data-lake stack's names. */
const assembly = new CloudAssembly({
  AqiDataLake: {
    Resources: {
      LakeBucket0B1D1709: { Type: 'AWS::S3::Bucket' },
      PipelineTable26970634: { Type: 'AWS::DynamoDB::Table' },
      PackageCustomResource9C87252A: { Type: 'Custom::CDKBucketDeployment', Properties: { SourceObjectKeys: ['0123abcd.zip'] } },
    },
    Outputs: {
      ExportLake: { Value: { Ref: 'LakeBucket0B1D1709' }, Export: { Name: 'AqiDataLake:ExportsOutputRefLakeBucket0B1D1709' } },
      ExportTable: { Value: { Ref: 'PipelineTable26970634' }, Export: { Name: 'AqiDataLake:ExportsOutputRefPipelineTable26970634' } },
      ExportKeys: {
        Value: { 'Fn::GetAtt': ['PackageCustomResource9C87252A', 'SourceObjectKeys'] },
        Export: { Name: 'AqiDataLake:ExportsOutputFnGetAttPackageSourceObjectKeys' },
      },
    },
  },
  AqiPipeline: {
    Resources: {
      PlanHourlyD6175F45: { Type: 'AWS::Lambda::Function' },
      HourlyStateMachineF1B39CEC: { Type: 'AWS::StepFunctions::StateMachine' },
    },
  },
});

describe('resolving the cloud assembly with local physical names', () => {
  test('imports resolve through the exporting stack to <stack>-<logical id without hash>, buckets lower-cased', () => {
    expect(assembly.resolve('AqiPipeline', { 'Fn::ImportValue': 'AqiDataLake:ExportsOutputRefLakeBucket0B1D1709' })).toBe('aqidatalake-lakebucket');
    expect(assembly.resolve('AqiPipeline', { 'Fn::ImportValue': 'AqiDataLake:ExportsOutputRefPipelineTable26970634' })).toBe('AqiDataLake-PipelineTable');
  });

  test("Fn::Select over a BucketDeployment's SourceObjectKeys yields the zip key (the --py-files path)", () => {
    const packageUri = {
      'Fn::Join': ['', ['s3://', { 'Fn::ImportValue': 'AqiDataLake:ExportsOutputRefLakeBucket0B1D1709' }, '/spark-jobs/', { 'Fn::Select': [0, { 'Fn::ImportValue': 'AqiDataLake:ExportsOutputFnGetAttPackageSourceObjectKeys' }] }]],
    };

    expect(assembly.resolve('AqiPipeline', packageUri)).toBe('s3://aqidatalake-lakebucket/spark-jobs/0123abcd.zip');
  });

  test('Lambda ARNs and state machine refs are the ARNs Step Functions would see', () => {
    expect(assembly.resolve('AqiPipeline', { 'Fn::GetAtt': ['PlanHourlyD6175F45', 'Arn'] })).toBe('arn:aws:lambda:us-east-1:000000000000:function:AqiPipeline-PlanHourly');
    expect(assembly.resolve('AqiPipeline', { Ref: 'HourlyStateMachineF1B39CEC' })).toBe('arn:aws:states:us-east-1:000000000000:stateMachine:AqiPipeline-HourlyStateMachine');
  });

  test('Fn::Sub substitutes refs, attributes and pseudo parameters', () => {
    expect(assembly.resolve('AqiPipeline', { 'Fn::Sub': 'arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:x/${PlanHourlyD6175F45}' })).toBe(
      'arn:aws:states:us-east-1:000000000000:x/AqiPipeline-PlanHourly',
    );
  });

  test('Fn::Sub writes an escaped ${!Literal} as the literal ${Literal}', () => {
    expect(assembly.resolve('AqiPipeline', { 'Fn::Sub': 's3://${!Bucket}/${PlanHourlyD6175F45}' })).toBe('s3://${Bucket}/AqiPipeline-PlanHourly');
  });

  test('the logical-id scheme names resources by logical id and still reads the deployment keys as a list', () => {
    const byLogicalId = new CloudAssembly({ AqiDataLake: { Resources: { PackageCustomResource9C87252A: { Type: 'Custom::CDKBucketDeployment', Properties: { SourceObjectKeys: ['0123abcd.zip'] } }, LakeBucket0B1D1709: { Type: 'AWS::S3::Bucket' } } } }, { naming: 'logical-id' });

    expect(byLogicalId.resolve('AqiDataLake', { 'Fn::Select': [0, { 'Fn::GetAtt': ['PackageCustomResource9C87252A', 'SourceObjectKeys'] }] })).toBe('0123abcd.zip');
    expect(byLogicalId.resolve('AqiDataLake', { Ref: 'LakeBucket0B1D1709' })).toBe('lakebucket0b1d1709');
  });

  test('an intrinsic it cannot evaluate is refused, naming the stack', () => {
    expect(() => assembly.resolve('AqiPipeline', { 'Fn::GetAZs': '' })).toThrow('unsupported intrinsic Fn::GetAZs in stack AqiPipeline');
  });

  test('an import no stack exports is named in the error', () => {
    expect(() => assembly.resolve('AqiPipeline', { 'Fn::ImportValue': 'Nope:Missing' })).toThrow("no stack exports 'Nope:Missing'");
  });
});
