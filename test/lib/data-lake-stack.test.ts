import * as fs from 'node:fs';
import * as path from 'node:path';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { STATEFUL_LOGICAL_IDS } from '../../lib/data-lake-stack';
import { synthesize } from '../workflow/support/synth';

let template: Template;
let assemblyDir: string;

beforeAll(() => {
  // The data-lake stack's assets are plain file copies: bundle them so the tests can read what ships.
  const synthesized = synthesize(undefined, { bundlingStacks: ['AqiDataLake'] });
  template = synthesized.dataLakeTemplate;
  assemblyDir = synthesized.app.synth().directory;
});

describe('DataLakeStack', () => {
  test.each([
    [STATEFUL_LOGICAL_IDS.key, 'AWS::KMS::Key'],
    [STATEFUL_LOGICAL_IDS.lakeBucket, 'AWS::S3::Bucket'],
    [STATEFUL_LOGICAL_IDS.artifactsBucket, 'AWS::S3::Bucket'],
    [STATEFUL_LOGICAL_IDS.logsBucket, 'AWS::S3::Bucket'],
    [STATEFUL_LOGICAL_IDS.table, 'AWS::DynamoDB::Table'],
    [STATEFUL_LOGICAL_IDS.databases.bronze, 'AWS::Glue::Database'],
    [STATEFUL_LOGICAL_IDS.databases.silver, 'AWS::Glue::Database'],
    [STATEFUL_LOGICAL_IDS.databases.gold, 'AWS::Glue::Database'],
  ])('keeps the stateful resource %s (%s) under its pinned logical id, retained on delete and replace', (logicalId, type) => {
    const resource = template.toJSON().Resources[logicalId];
    expect(resource).toMatchObject({ Type: type, DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  test('pins exactly these logical ids (a new stateful resource must be added to the list)', () => {
    expect(STATEFUL_LOGICAL_IDS).toEqual({
      key: 'LakeKey',
      lakeBucket: 'LakeBucket',
      artifactsBucket: 'ArtifactsBucket',
      logsBucket: 'LogsBucket',
      table: 'PipelineTable',
      databases: { bronze: 'BronzeDatabase', silver: 'SilverDatabase', gold: 'GoldDatabase' },
    });
  });

  test('the lake bucket is versioned, SSE-KMS with the lake key, blocks all public access and logs access', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': ['LakeKey', 'Arn'] } },
          },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: { DestinationBucketName: { Ref: 'LogsBucket' }, LogFilePrefix: 'access/lake/' },
    });
  });

  test.each(['LakeBucket', 'ArtifactsBucket', 'LogsBucket'])('%s denies every request not made over TLS', (bucket) => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucket },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  test('the key rotates yearly', () => {
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  test('the pipeline table is keyed by pk, on demand, encrypted with the lake key, with point-in-time recovery', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': ['LakeKey', 'Arn'] } },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  test.each([
    ['BronzeDatabase', 'aqi_bronze'],
    ['SilverDatabase', 'aqi_silver'],
    ['GoldDatabase', 'aqi_gold'],
  ])('%s is the Glue database %s located in the warehouse prefix', (logicalId, name) => {
    expect(template.toJSON().Resources[logicalId].Properties.DatabaseInput).toEqual({
      Name: name,
      Description: expect.any(String),
      LocationUri: { 'Fn::Join': ['', ['s3://', { Ref: 'LakeBucket' }, `/warehouse/${name}.db`]] },
    });
  });

  test('deploys the aqi_jobs zip unextracted under spark-jobs/ (for --py-files), not pruning older packages', () => {
    template.hasResourceProperties('Custom::CDKBucketDeployment', {
      DestinationBucketName: { Ref: 'ArtifactsBucket' },
      DestinationBucketKeyPrefix: 'spark-jobs/',
      SourceObjectKeys: [packageZipKey()],
      Extract: false,
      Prune: false,
    });
  });

  test('the zip holds the aqi_jobs package at its root, without bytecode caches', () => {
    const files = assetFiles(packageZipKey());
    expect(files).toContain('aqi_jobs/__init__.py');
    expect(files).toContain('aqi_jobs/cli.py');
    expect(files.filter((f) => f.includes('__pycache__') || f.endsWith('.pyc'))).toEqual([]);
    expect(files.every((f) => f.startsWith('aqi_jobs/'))).toBe(true);
  });

  test('entry.py lands at spark-jobs/entry.py, the EMR bootstrap files under spark-jobs/emr/ and the locations context at config/locations.json', () => {
    const deployment = Object.values(template.findResources('Custom::CDKBucketDeployment')).find(
      (r) => r.Properties.Extract === undefined,
    );
    const [entryZip] = deployment?.Properties.SourceObjectKeys as string[];
    expect(assetFiles(entryZip as string)).toEqual([
      'spark-jobs/emr/aqi-spark-submit',
      'spark-jobs/emr/bootstrap.sh',
      'spark-jobs/emr/requirements-emr.txt',
      'spark-jobs/entry.py',
    ]);
    expect(deployment?.Properties.SourceMarkersConfig).toEqual([{}, { jsonEscape: true }]);
  });
});

function packageZipKey(): string {
  const deployment = Object.values(template.findResources('Custom::CDKBucketDeployment')).find(
    (r) => r.Properties.Extract === false,
  );
  return (deployment?.Properties.SourceObjectKeys as string[])[0] as string;
}

/** Files of a staged asset (`<hash>.zip` in the template is the directory `asset.<hash>` in the assembly). */
function assetFiles(zipKey: string): string[] {
  const dir = path.join(assemblyDir, `asset.${zipKey.replace(/\.zip$/, '')}`);
  const walk = (d: string): string[] =>
    fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
  return walk(dir).map((f) => path.relative(dir, f)).sort();
}
