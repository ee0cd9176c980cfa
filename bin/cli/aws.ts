import { EMRClient } from '@aws-sdk/client-emr';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { CliError } from './errors';

export interface AwsOptions {
  readonly region?: string;
  /** For tests against an AWS-compatible server; the SDK also honours AWS_ENDPOINT_URL. */
  readonly endpointUrl?: string;
}

export interface AwsClients {
  readonly region: string;
  readonly sfn: SFNClient;
  readonly emr: EMRClient;
  readonly s3: S3Client;
}

/** The SDK clients every AWS command uses, created once per invocation with the same region. */
export function awsClients(options: AwsOptions): AwsClients {
  const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) throw new CliError('No AWS region is set. Pass --region <region> or set AWS_REGION (the region the pipeline is deployed in).');
  const common = { region, maxAttempts: 5, ...(options.endpointUrl ? { endpoint: options.endpointUrl } : {}) };
  return {
    region,
    sfn: new SFNClient(common),
    emr: new EMRClient(common),
    s3: new S3Client({ ...common, forcePathStyle: options.endpointUrl !== undefined }),
  };
}

export function consoleUrl(region: string, executionArn: string): string {
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}
