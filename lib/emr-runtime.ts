import { Duration, Stack, Tags } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as emr from 'aws-cdk-lib/aws-emr';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { DATABASES, OPENAQ_ARCHIVE_BUCKET, s3Uri, STAGES } from '../core/layout';
import { EMR_MANAGED_POLICY_TAG } from '../core/tags';
import { acknowledge, IMPORTED_ARN, s3GrantFindings, TABLE_KMS_FINDINGS } from './compliance';
import type { PipelineConfig } from './config';
import { type EmrClusterBlueprint, type EmrManagedSecurityGroups, instanceProfileFor } from './workflow/emr-cluster';
import type { SparkJobsPackage } from './workflow/stage-args';

export interface EmrRuntimeProps {
  readonly config: PipelineConfig;
  readonly key: kms.IKey;
  readonly lakeBucket: s3.IBucket;
  readonly artifactsBucket: s3.IBucket;
  readonly logsBucket: s3.IBucket;
  readonly logPrefix: string;
  readonly subnetIds: string[];
  /** The VPC of `subnetIds`; the EMR-managed security groups are created in it. */
  readonly vpc: ec2.IVpc;
  /** Where the bootstrap files are (`emrFilesPrefix` in the artifacts bucket). */
  readonly sparkJobs: SparkJobsPackage;
}

/**
 * What every pipeline cluster is made of: the EMR service role, an EC2 instance role scoped to our
 * buckets, Glue databases, the key, the OpenAQ archive and the API-key secret, a security configuration
 * (encryption at rest with the lake key, IMDSv2 only, in-transit encryption when configured) and the
 * security groups EMR manages the rules of. `blueprint` feeds `createClusterTask`.
 */
export class EmrRuntime extends Construct {
  readonly blueprint: EmrClusterBlueprint;
  readonly instanceRole: iam.Role;
  readonly serviceRole: iam.Role;

  constructor(scope: Construct, id: string, props: EmrRuntimeProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { config } = props;

    this.serviceRole = new iam.Role(this, 'ServiceRole', {
      // Only EMR acting for this account's clusters may assume it (confused deputy; EMR Management Guide,
      // "Service role for Amazon EMR").
      assumedBy: new iam.ServicePrincipal('elasticmapreduce.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'elasticmapreduce', resource: '*' }) },
      }),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonEMRServicePolicy_v2')],
    });
    this.instanceRole = new iam.Role(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'EC2 instances of aqi-pipeline EMR clusters',
    });
    instanceProfileFor(this, 'InstanceProfile', this.instanceRole);
    // EMR passes the instance role to EC2 on our behalf.
    this.instanceRole.grantPassRole(this.serviceRole);

    props.lakeBucket.grantReadWrite(this.instanceRole);
    props.artifactsBucket.grantRead(this.instanceRole);
    props.logsBucket.grantWrite(this.instanceRole, `${props.logPrefix}*`);
    props.key.grantEncryptDecrypt(this.instanceRole);
    props.key.grantEncryptDecrypt(this.serviceRole);
    // EBS encryption of the cluster's volumes: EMR creates grants on the key for EC2, and only for that.
    this.serviceRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:CreateGrant'],
        resources: [props.key.keyArn],
        conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      }),
    );
    s3.Bucket.fromBucketName(this, 'OpenAqArchive', OPENAQ_ARCHIVE_BUCKET).grantRead(this.instanceRole);
    secretsmanager.Secret.fromSecretNameV2(this, 'OpenAqApiKey', config.openaqApiKeySecretName).grantRead(this.instanceRole);
    this.instanceRole.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'glue:GetDatabase',
          'glue:GetDatabases',
          'glue:GetTable',
          'glue:GetTables',
          'glue:CreateTable',
          'glue:UpdateTable',
          'glue:DeleteTable',
          'glue:GetPartitions',
          'glue:BatchGetPartition',
        ],
        resources: [
          stack.formatArn({ service: 'glue', resource: 'catalog' }),
          ...STAGES.flatMap((stage) => [
            stack.formatArn({ service: 'glue', resource: 'database', resourceName: DATABASES[stage] }),
            stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${DATABASES[stage]}/*` }),
          ]),
        ],
      }),
    );

    const certificates = config.emr.inTransitEncryptionCertificates;
    if (certificates !== '') {
      // EMR downloads the certificates zip on every node with the instance role.
      const { bucket, key } = splitS3Uri(certificates);
      s3.Bucket.fromBucketName(this, 'TlsCertificates', bucket).grantRead(this.instanceRole, key);
    }
    const securityConfiguration = new emr.CfnSecurityConfiguration(this, 'SecurityConfiguration', {
      securityConfiguration: {
        // IMDSv2 only: a request forged through an application on a node cannot read the instance role's
        // credentials without a session token. One hop: nothing on the nodes runs in containers.
        InstanceMetadataServiceConfiguration: { MinimumInstanceMetadataServiceVersion: 2, HttpPutResponseHopLimit: 1 },
        EncryptionConfiguration: {
          EnableInTransitEncryption: certificates !== '',
          ...(certificates !== '' && {
            InTransitEncryptionConfiguration: {
              TLSCertificateConfiguration: { CertificateProviderType: 'PEM', S3Object: certificates },
            },
          }),
          EnableAtRestEncryption: true,
          AtRestEncryptionConfiguration: {
            S3EncryptionConfiguration: { EncryptionMode: 'SSE-KMS', AwsKmsKey: props.key.keyArn },
            LocalDiskEncryptionConfiguration: {
              EncryptionKeyProviderType: 'AwsKms',
              AwsKmsKey: props.key.keyArn,
              EnableEbsEncryption: true,
            },
          },
        },
      },
    });

    acknowledge(this.serviceRole, {
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonEMRServicePolicy_v2]':
        'AWS\'s scoped EMR service policy v2: it only acts on resources tagged for-use-with-amazon-emr-managed-policies (our VPC and clusters)',
      ...TABLE_KMS_FINDINGS,
    });
    acknowledge(this.instanceRole, {
      ...TABLE_KMS_FINDINGS,
      ...s3GrantFindings('the lake, artifacts, EMR log prefix and the public OpenAQ archive'),
      [`AwsSolutions-IAM5[Resource::${IMPORTED_ARN.lakeBucket}/*]`]:
        'Spark reads and writes every Iceberg data and metadata file of the warehouse, created at run time',
      [`AwsSolutions-IAM5[Resource::${IMPORTED_ARN.artifactsBucket}/*]`]:
        'Steps read the spark-jobs package (content-hashed key) and config/locations.json',
      [`AwsSolutions-IAM5[Resource::${IMPORTED_ARN.logsBucket}/${props.logPrefix}*]`]:
        'EMR writes cluster and step logs under the emr/ prefix only',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::openaq-data-archive/*]':
        'Bronze backfill reads the public OpenAQ archive (csv.gz per location-day)',
      ...Object.fromEntries(
        STAGES.map((stage) => [
          `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:table/${DATABASES[stage]}/*]`,
          `Iceberg tables of ${DATABASES[stage]} are created and committed by the stages at run time`,
        ]),
      ),
    });

    const securityGroups = emrManagedSecurityGroups(this, props.vpc);
    this.blueprint = {
      releaseLabel: config.emr.releaseLabel,
      primaryInstanceType: config.emr.primaryInstanceType,
      coreInstanceType: config.emr.coreInstanceType,
      coreInstanceCount: config.emr.coreInstanceCount,
      idleTimeout: Duration.seconds(config.emr.idleTimeoutSeconds),
      logUri: props.logsBucket.s3UrlForObject(props.logPrefix),
      securityConfigurationName: securityConfiguration.ref,
      subnetIds: props.subnetIds,
      serviceRole: this.serviceRole,
      instanceRole: this.instanceRole,
      bootstrap: {
        scriptUri: s3Uri(props.sparkJobs.bucketName, `${props.sparkJobs.emrFilesPrefix}bootstrap.sh`),
        filesPrefixUri: s3Uri(props.sparkJobs.bucketName, props.sparkJobs.emrFilesPrefix),
      },
      securityGroups,
    };
  }
}

/**
 * The three EMR-managed security groups, owned by the stack so that `cdk destroy` removes them (EMR's
 * own defaults live outside the stack and keep the VPC from being deleted). Created without rules: EMR
 * adds the ones it needs at cluster launch. Tagged, because AmazonEMRServicePolicy_v2 only launches into
 * and edits security groups carrying the managed-policy tag.
 */
function emrManagedSecurityGroups(scope: Construct, vpc: ec2.IVpc): EmrManagedSecurityGroups {
  const group = (id: string, description: string, allowAllOutbound: boolean) => {
    const sg = new ec2.SecurityGroup(scope, id, { vpc, description, allowAllOutbound });
    Tags.of(sg).add(EMR_MANAGED_POLICY_TAG.key, EMR_MANAGED_POLICY_TAG.value);
    return sg.securityGroupId;
  };
  return {
    primary: group('PrimarySecurityGroup', 'aqi-pipeline EMR primary node (rules managed by EMR)', true),
    core: group('CoreSecurityGroup', 'aqi-pipeline EMR core nodes (rules managed by EMR)', true),
    serviceAccess: group('ServiceAccessSecurityGroup', 'aqi-pipeline EMR service access in private subnets (rules managed by EMR)', false),
  };
}

function splitS3Uri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (match === null) throw new Error(`internal: ${uri} passed config validation but is not an s3:// URI`);
  return { bucket: match[1], key: match[2] };
}
