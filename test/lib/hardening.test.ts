import { Match, type Template } from 'aws-cdk-lib/assertions';
import { CLUSTER_ACTIONS, CLUSTER_TAG_KEYS_WRITTEN } from '../../lib/emr-access';
import { CLEANUP_RESOURCE_TYPE } from '../../lib/security-group-cleanup';
import { HOURLY_STATES } from '../../lib/hourly-workflow';
import { EMR_NODE } from '../../lib/workflow/emr-node';
import { type AslDefinition, stateMachineDefinition } from '../../local/definition';
import { defaultRawConfig, synthesize } from '../workflow/support/synth';

/**
 * The deployment's hardening (docs/ARCHITECTURE.md, "Hardening"), one assertion per measure, on the
 * synthesized templates and the hourly createCluster parameters (cdk-nag cannot see clusters created at
 * run time).
 */
let template: Template;
let dataLake: Template;
let createCluster: Record<string, unknown>;

beforeAll(() => {
  const synthesized = synthesize();
  template = synthesized.pipelineTemplate;
  dataLake = synthesized.dataLakeTemplate;
  const definition: AslDefinition = stateMachineDefinition(synthesized.pipelineJson, 'Hourly', { exportingTemplates: [synthesized.dataLakeJson] });
  createCluster = definition.States[HOURLY_STATES.createCluster].Parameters as Record<string, unknown>;
});

const EMR_TAG = { Key: 'for-use-with-amazon-emr-managed-policies', Value: 'true' };
const ACCOUNT = { Ref: 'AWS::AccountId' };

describe('cluster instances', () => {
  test('the security configuration requires IMDSv2 with a hop limit of 1', () => {
    template.hasResourceProperties('AWS::EMR::SecurityConfiguration', {
      SecurityConfiguration: {
        InstanceMetadataServiceConfiguration: { MinimumInstanceMetadataServiceVersion: 2, HttpPutResponseHopLimit: 1 },
      },
    });
  });

  test('in-transit encryption is off unless certificates are configured', () => {
    template.hasResourceProperties('AWS::EMR::SecurityConfiguration', {
      SecurityConfiguration: { EncryptionConfiguration: { EnableInTransitEncryption: false, InTransitEncryptionConfiguration: Match.absent() } },
    });
  });

  test('configured certificates turn in-transit encryption on with the PEM zip, readable by the instance role', () => {
    const raw = defaultRawConfig();
    raw.emr = { ...(raw.emr as object), inTransitEncryptionCertificates: 's3://my-certs/aqi/certs.zip' };
    const withTls = synthesize(raw).pipelineTemplate;

    withTls.hasResourceProperties('AWS::EMR::SecurityConfiguration', {
      SecurityConfiguration: {
        EncryptionConfiguration: {
          EnableInTransitEncryption: true,
          InTransitEncryptionConfiguration: { TLSCertificateConfiguration: { CertificateProviderType: 'PEM', S3Object: 's3://my-certs/aqi/certs.zip' } },
        },
      },
    });
    withTls.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^EmrInstanceRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['s3:GetObject*']),
            Resource: Match.arrayWith([{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::my-certs/aqi/certs.zip']] }]),
          }),
        ]),
      },
    });
  });
});

describe('Python on the cluster', () => {
  test('PySpark driver and executors use the cluster Python 3.11', () => {
    expect(createCluster.Configurations).toEqual(
      expect.arrayContaining([
        {
          Classification: 'spark-defaults',
          Properties: { 'spark.pyspark.python': '/usr/bin/python3.11', 'spark.pyspark.driver.python': '/usr/bin/python3.11' },
        },
      ]),
    );
    expect(EMR_NODE.python).toBe('/usr/bin/python3.11');
  });

  test('every node runs the committed bootstrap action with the files prefix, the interpreter and the wrapper path', () => {
    expect(createCluster.BootstrapActions).toEqual([
      {
        Name: 'aqi-pipeline python and step wrapper',
        ScriptBootstrapAction: {
          Path: 's3://artifactsbucket/spark-jobs/emr/bootstrap.sh',
          Args: ['s3://artifactsbucket/spark-jobs/emr/', EMR_NODE.python, EMR_NODE.stepWrapper],
        },
      },
    ]);
  });
});

describe('network', () => {
  test('only the private subnets carry the EMR managed-policy tag; public subnets and the VPC do not', () => {
    const subnets = template.findResources('AWS::EC2::Subnet');
    const tagged = Object.entries(subnets)
      .filter(([, s]) => (s.Properties.Tags as { Key: string; Value: string }[]).some((t) => t.Key === EMR_TAG.Key))
      .map(([id]) => id);
    expect(tagged.length).toBe(2);
    expect(tagged.every((id) => id.startsWith('NetworkVpcemrSubnet'))).toBe(true);
    expect(Object.keys(subnets).filter((id) => id.startsWith('NetworkVpcpublicSubnet')).length).toBe(2);
    template.hasResourceProperties('AWS::EC2::VPC', { Tags: Match.not(Match.arrayWith([EMR_TAG])) });
  });

  test('the stack owns the three EMR-managed security groups, tagged for the managed policy, and clusters use them', () => {
    const groups = template.findResources('AWS::EC2::SecurityGroup', { Properties: { Tags: Match.arrayWith([EMR_TAG]) } });
    const ids = Object.keys(groups);
    const idOf = (prefix: string) => {
      const found = ids.filter((id) => id.startsWith(prefix));
      expect(found).toHaveLength(1);
      return `${found[0]}.GroupId`;
    };
    const instances = createCluster.Instances as Record<string, unknown>;
    expect(instances).toMatchObject({
      EmrManagedMasterSecurityGroup: idOf('EmrPrimarySecurityGroup'),
      EmrManagedSlaveSecurityGroup: idOf('EmrCoreSecurityGroup'),
      ServiceAccessSecurityGroup: idOf('EmrServiceAccessSecurityGroup'),
    });
    expect(ids).toHaveLength(3);
  });
});

describe('stack deletion', () => {
  const cleanupOf = (t: Template) => {
    const found = Object.entries(t.findResources(CLEANUP_RESOURCE_TYPE));
    expect(found).toHaveLength(1);
    return found[0][1];
  };
  const groupId = (prefix: string) => {
    const ids = Object.keys(template.findResources('AWS::EC2::SecurityGroup')).filter((id) => id.startsWith(prefix));
    expect(ids).toHaveLength(1);
    return { 'Fn::GetAtt': [ids[0], 'GroupId'] };
  };
  const vpcCondition = (vpcId: unknown) => ({
    StringEquals: {
      'ec2:Vpc': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:', { Ref: 'AWS::Region' }, ':', ACCOUNT, ':vpc/', vpcId]] },
    },
  });
  const securityGroupArn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:', { Ref: 'AWS::Region' }, ':', ACCOUNT, ':security-group/*']] };

  test("a cleanup resource names the stack's three EMR security groups, so CloudFormation deletes it before them", () => {
    const cleanup = cleanupOf(template);
    const vpcIds = Object.keys(template.findResources('AWS::EC2::VPC'));
    expect(vpcIds).toHaveLength(1);
    expect(cleanup.Properties).toMatchObject({
      VpcId: { Ref: vpcIds[0] },
      StackGroupIds: [groupId('EmrPrimarySecurityGroup'), groupId('EmrCoreSecurityGroup'), groupId('EmrServiceAccessSecurityGroup')],
      RemoveEmrDefaultGroups: 'true',
    });
    // ...and after it, the function that runs the cleanup, with its role and policy.
    expect(cleanup.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^EmrSecurityGroupCleanupHandler.*ServiceRoleDefaultPolicy/)]));
  });

  test('its function may revoke rules and delete groups only of security groups in the stack VPC', () => {
    const vpcId = { Ref: Object.keys(template.findResources('AWS::EC2::VPC'))[0] };
    expect(statementsOf('EmrSecurityGroupCleanupHandlerServiceRole')).toEqual(
      expect.arrayContaining([
        { Sid: 'FindReferencingRules', Effect: 'Allow', Action: 'ec2:DescribeSecurityGroups', Resource: '*' },
        {
          Sid: 'RevokeRulesInThisVpc',
          Effect: 'Allow',
          Action: ['ec2:RevokeSecurityGroupEgress', 'ec2:RevokeSecurityGroupIngress'],
          Resource: securityGroupArn,
          Condition: vpcCondition(vpcId),
        },
        { Sid: 'DeleteEmrDefaultGroupsInThisVpc', Effect: 'Allow', Action: 'ec2:DeleteSecurityGroup', Resource: securityGroupArn, Condition: vpcCondition(vpcId) },
      ]),
    );
  });

  test("in an existing VPC the cleanup only revokes rules: EMR's default groups there may serve other clusters", () => {
    const raw = defaultRawConfig();
    raw.network = { mode: 'existing-subnets', vpcId: 'vpc-0abc1234', subnetIds: ['subnet-0abc1234', 'subnet-0def5678'] };
    const existing = synthesize(raw).pipelineTemplate;
    expect(cleanupOf(existing).Properties).toMatchObject({ VpcId: 'vpc-0abc1234', RemoveEmrDefaultGroups: 'false' });
    const actions = Object.values(existing.findResources('AWS::IAM::Policy'))
      .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref.startsWith('EmrSecurityGroupCleanupHandlerServiceRole')))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[] }[])
      .flatMap((st) => [st.Action].flat());
    expect(actions).toContain('ec2:RevokeSecurityGroupIngress');
    expect(actions).not.toContain('ec2:DeleteSecurityGroup');
  });
});

/** Every statement of the inline policies attached to roles whose logical id starts with `rolePrefix`. */
function statementsOf(rolePrefix: string): Record<string, unknown>[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref.startsWith(rolePrefix)))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Record<string, unknown>[]);
}


describe('IAM', () => {
  test.each(['BackfillFanIn', 'BackfillFinalizeBackfill', 'BackfillRecordChunk', 'BackfillPlanBackfill'])(
    'the backfill Lambda %s reaches lake objects only under runs/backfill/',
    (prefix) => {
      const objectResources = statementsOf(prefix)
        .filter((st) => [st.Action].flat().some((a) => String(a).startsWith('s3:')))
        .flatMap((st) => [st.Resource].flat())
        .map((r) => JSON.stringify(r))
        .filter((r) => r.includes('LakeBucket') && r.includes('/'));
      expect(objectResources.length).toBeGreaterThan(0);
      for (const resource of objectResources) expect(resource).toMatch(/\/runs\/backfill\/\*"\]\]\}$/);
    },
  );

  test.each(['HourlyStateMachineRole', 'BackfillStateMachineRole', 'CancelStepsServiceRole', 'JanitorServiceRole', 'FinalizeServiceRole', 'BackfillFinalizeBackfillServiceRole'])(
    '%s may act only on clusters tagged aqi-pipeline:pipeline and create only clusters carrying that tag',
    (rolePrefix) => {
      expect(statementsOf(rolePrefix)).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Effect: 'Deny',
            Action: [...CLUSTER_ACTIONS].sort(),
            Condition: { Null: { 'elasticmapreduce:ResourceTag/aqi-pipeline:pipeline': 'true' } },
          }),
          expect.objectContaining({
            Effect: 'Deny',
            Action: 'elasticmapreduce:RunJobFlow',
            Resource: '*',
            Condition: { Null: { 'elasticmapreduce:RequestTag/aqi-pipeline:pipeline': 'true' } },
          }),
        ]),
      );
    },
  );

  test.each(['HourlyStateMachineRole', 'BackfillStateMachineRole', 'CancelStepsServiceRole', 'JanitorServiceRole', 'FinalizeServiceRole', 'BackfillFinalizeBackfillServiceRole'])(
    '%s may add tags only in requests carrying the pipeline tag, and only the keys createCluster writes',
    (rolePrefix) => {
      expect(statementsOf(rolePrefix)).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Effect: 'Deny',
            Action: 'elasticmapreduce:AddTags',
            Resource: '*',
            Condition: { StringNotEquals: { 'aws:RequestTag/aqi-pipeline:pipeline': ['hourly', 'backfill'] } },
          }),
          expect.objectContaining({
            Effect: 'Deny',
            Action: 'elasticmapreduce:AddTags',
            Resource: '*',
            Condition: { 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': [...CLUSTER_TAG_KEYS_WRITTEN] } },
          }),
        ]),
      );
    },
  );

  test("createCluster's tag-on-create passes the AddTags denies: every key it writes is allowed", () => {
    const keys = (createCluster.Tags as { Key: string }[]).map((tag) => tag.Key).sort();
    expect(keys).toEqual([...CLUSTER_TAG_KEYS_WRITTEN].sort());
  });

  test('the denied cluster actions are exactly the resource-level EMR actions pipeline principals use', () => {
    expect([...CLUSTER_ACTIONS].sort()).toEqual([
      'elasticmapreduce:AddJobFlowSteps',
      'elasticmapreduce:CancelSteps',
      'elasticmapreduce:DescribeCluster',
      'elasticmapreduce:DescribeStep',
      'elasticmapreduce:ListInstances',
      'elasticmapreduce:ListSteps',
      'elasticmapreduce:TerminateJobFlows',
    ]);
  });

  test('the pipeline tag the denies test is the one createCluster writes', () => {
    expect(createCluster.Tags).toEqual(expect.arrayContaining([{ Key: 'aqi-pipeline:pipeline', Value: 'hourly' }]));
  });

  test("the lake key lets CloudWatch use it only for this account's alarms", () => {
    dataLake.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Resource: '*',
            Condition: {
              StringEquals: { 'aws:SourceAccount': ACCOUNT },
              ArnLike: {
                'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:', { Ref: 'AWS::Region' }, ':', ACCOUNT, ':alarm:*']] },
              },
            },
          },
        ]),
      },
    });
  });

  test("the EMR service role can be assumed only by EMR acting for this account's resources", () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'elasticmapreduce.amazonaws.com' },
            Condition: {
              StringEquals: { 'aws:SourceAccount': ACCOUNT },
              ArnLike: {
                'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':elasticmapreduce:', { Ref: 'AWS::Region' }, ':', ACCOUNT, ':*']] },
              },
            },
          },
        ],
      },
    });
  });
});

describe('storage', () => {
  test.each(['LakeBucket', 'ArtifactsBucket'])('%s expires noncurrent versions after 30 days and abandoned multipart uploads after 7', (logicalId) => {
    expect(dataLake.toJSON().Resources[logicalId].Properties.LifecycleConfiguration).toEqual({
      Rules: [
        {
          Id: 'expire-noncurrent-versions-and-abandoned-uploads',
          Status: 'Enabled',
          NoncurrentVersionExpiration: { NoncurrentDays: 30 },
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
        },
      ],
    });
  });
});

describe('operations', () => {
  test('the hourly schedule is enabled by default and paused by scheduleEnabled: false', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', { State: 'ENABLED' });
    const paused = synthesize({ ...defaultRawConfig(), scheduleEnabled: false }).pipelineTemplate;
    paused.hasResourceProperties('AWS::Scheduler::Schedule', { State: 'DISABLED' });
  });
});
