import { CfnResource, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { DATABASES, type Stage, STAGES, WAREHOUSE_PREFIX } from '../core/layout';
import type { LocationConfig } from './config';
import { acknowledgeBucketDeploymentProvider } from './compliance';
import { SparkJobsDeployment } from './spark-jobs-deployment';
import type { SparkJobsPackage } from './workflow/stage-args';

export interface DataLakeStackProps extends StackProps {
  readonly locations: readonly LocationConfig[];
  /** The repository's `spark-jobs/` folder (packaged and deployed to the artifacts bucket). */
  readonly sparkJobsDir: string;
}

/**
 * Logical ids of the stateful resources, pinned so a refactor of the construct tree can never replace
 * (and so empty) a bucket, the key or the table. test/lib/data-lake-stack.test.ts guards them.
 */
export const STATEFUL_LOGICAL_IDS = {
  key: 'LakeKey',
  lakeBucket: 'LakeBucket',
  artifactsBucket: 'ArtifactsBucket',
  logsBucket: 'LogsBucket',
  table: 'PipelineTable',
  databases: { bronze: 'BronzeDatabase', silver: 'SilverDatabase', gold: 'GoldDatabase' } satisfies Record<Stage, string>,
} as const;

/**
 * Versioned buckets keep every overwritten or deleted object as a noncurrent version. Iceberg rewrites
 * data and metadata files and its snapshot expiry (5 days, aqi_jobs/maintenance.py) deletes them, so
 * without a rule the lake grows forever. Noncurrent versions go 30 days after they stop being current —
 * long after snapshot expiry has had its chance, and long enough to undo a mistaken delete — and
 * multipart uploads a crashed writer left behind go after 7 days.
 */
export const VERSION_LIFECYCLE: s3.LifecycleRule = {
  id: 'expire-noncurrent-versions-and-abandoned-uploads',
  noncurrentVersionExpiration: Duration.days(30),
  abortIncompleteMultipartUploadAfter: Duration.days(7),
};

/** The EMR `LogUri` prefix inside the logs bucket. */
export const EMR_LOG_PREFIX = 'emr/';

/**
 * The stateful half: everything here is retained on stack deletion. The pipeline stack receives these
 * resources as typed props.
 */
export class DataLakeStack extends Stack {
  readonly key: kms.IKey;
  readonly lakeBucket: s3.IBucket;
  readonly artifactsBucket: s3.IBucket;
  readonly logsBucket: s3.IBucket;
  readonly table: dynamodb.ITable;
  readonly databaseNames: Readonly<Record<Stage, string>> = DATABASES;
  readonly sparkJobs: SparkJobsPackage;

  constructor(scope: Construct, id: string, props: DataLakeStackProps) {
    super(scope, id, props);

    const key = new kms.Key(this, 'Key', {
      description: 'aqi-pipeline lake: S3 objects, the pipeline table, EMR encryption at rest',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    pin(key, STATEFUL_LOGICAL_IDS.key);

    const logsBucket = new s3.Bucket(this, 'Logs', {
      // Server access logs can only be delivered to an SSE-S3 bucket.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(90), noncurrentVersionExpiration: Duration.days(30) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    pin(logsBucket, STATEFUL_LOGICAL_IDS.logsBucket);

    const kmsBucket = (id: string, logicalId: string, accessLogPrefix: string) => {
      const bucket = new s3.Bucket(this, id, {
        encryption: s3.BucketEncryption.KMS,
        encryptionKey: key,
        bucketKeyEnabled: true,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        versioned: true,
        serverAccessLogsBucket: logsBucket,
        serverAccessLogsPrefix: accessLogPrefix,
        lifecycleRules: [VERSION_LIFECYCLE],
        removalPolicy: RemovalPolicy.RETAIN,
      });
      pin(bucket, logicalId);
      return bucket;
    };
    const lakeBucket = kmsBucket('Lake', STATEFUL_LOGICAL_IDS.lakeBucket, 'access/lake/');
    const artifactsBucket = kmsBucket('Artifacts', STATEFUL_LOGICAL_IDS.artifactsBucket, 'access/artifacts/');

    const table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    pin(table, STATEFUL_LOGICAL_IDS.table);

    for (const stage of STAGES) {
      const database = new glue.CfnDatabase(this, `${stage}Database`, {
        catalogId: this.account,
        databaseInput: {
          name: DATABASES[stage],
          description: `aqi-pipeline ${stage} layer (Iceberg tables)`,
          locationUri: lakeBucket.s3UrlForObject(`${WAREHOUSE_PREFIX}${DATABASES[stage]}.db`),
        },
      });
      database.applyRemovalPolicy(RemovalPolicy.RETAIN);
      database.overrideLogicalId(STATEFUL_LOGICAL_IDS.databases[stage]);
    }

    const deployment = new SparkJobsDeployment(this, 'SparkJobs', {
      bucket: artifactsBucket,
      sparkJobsDir: props.sparkJobsDir,
      locations: props.locations,
    });

    acknowledgeBucketDeploymentProvider(this, STATEFUL_LOGICAL_IDS.artifactsBucket);

    this.key = key;
    this.lakeBucket = lakeBucket;
    this.artifactsBucket = artifactsBucket;
    this.logsBucket = logsBucket;
    this.table = table;
    this.sparkJobs = deployment.sparkJobs;
  }
}

function pin(construct: { node: { defaultChild?: unknown } }, logicalId: string): void {
  (construct.node.defaultChild as CfnResource).overrideLogicalId(logicalId);
}
