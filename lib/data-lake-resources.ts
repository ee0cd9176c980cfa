import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { SparkJobsPackage } from './workflow/stage-args';

/**
 * The data-lake stack's resources, handed to the pipeline stack as typed props (lib/app.ts): the contract
 * between the stateful and the stateless stack, apart from both so neither imports the other.
 */
export interface DataLakeResources {
  readonly key: kms.IKey;
  readonly lakeBucket: s3.IBucket;
  readonly artifactsBucket: s3.IBucket;
  readonly logsBucket: s3.IBucket;
  readonly table: dynamodb.ITable;
  readonly sparkJobs: SparkJobsPackage;
  /** The EMR `LogUri` prefix inside the logs bucket. */
  readonly emrLogPrefix: string;
}
