import { Duration, Stack } from 'aws-cdk-lib';
import * as emr from 'aws-cdk-lib/aws-emr';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { DATABASES, STAGES } from '../lambdas/shared/layout';
import { acknowledge, IMPORTED_ARN, s3GrantFindings, TABLE_KMS_FINDINGS } from './compliance';
import type { PipelineConfig } from './config';
import { type EmrClusterBlueprint, instanceProfileFor } from './workflow/emr-cluster';

/** The public OpenAQ archive Bronze backfill reads (us-east-1, anonymous). */
export const OPENAQ_ARCHIVE_BUCKET = 'openaq-data-archive';

export interface EmrRuntimeProps {
  readonly config: PipelineConfig;
  readonly key: kms.IKey;
  readonly lakeBucket: s3.IBucket;
  readonly artifactsBucket: s3.IBucket;
  readonly logsBucket: s3.IBucket;
  readonly logPrefix: string;
  readonly subnetIds: string[];
}

/**
 * What every pipeline cluster is made of: the EMR service role, an EC2 instance role scoped to our
 * buckets, Glue databases, the key, the OpenAQ archive and the API-key secret, and a security
 * configuration that encrypts at rest with the lake key. `blueprint` feeds `createClusterTask`.
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
      assumedBy: new iam.ServicePrincipal('elasticmapreduce.amazonaws.com'),
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

    const securityConfiguration = new emr.CfnSecurityConfiguration(this, 'SecurityConfiguration', {
      securityConfiguration: {
        EncryptionConfiguration: {
          EnableInTransitEncryption: false,
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
    };
  }
}
