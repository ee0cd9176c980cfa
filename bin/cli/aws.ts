import { EMRClient } from '@aws-sdk/client-emr';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { CliError, NO_REGION } from './errors';

/** The global options every AWS command takes, named as the AWS CLI names them. */
export interface AwsOptions {
  /** @default - the SDK's chain: AWS_REGION, then the profile's `region` in ~/.aws/config */
  readonly region?: string;
  /** @default - AWS_PROFILE, else the default profile */
  readonly profile?: string;
  /** For tests against an AWS-compatible server; the SDK also honours AWS_ENDPOINT_URL. */
  readonly endpointUrl?: string;
}

export interface AwsClients {
  /** The region the clients talk to, as the SDK resolved it; a clear CliError when there is none. */
  region(): Promise<string>;
  readonly sfn: SFNClient;
  readonly emr: EMRClient;
  readonly s3: S3Client;
}

/** The configuration of every SDK client: commands create the clients only they use from it. */
export function clientConfig(options: AwsOptions) {
  return {
    ...(options.region ? { region: options.region } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
    ...(options.endpointUrl ? { endpoint: options.endpointUrl } : {}),
    maxAttempts: 5,
  };
}

/**
 * The SDK clients every AWS command uses, created once per invocation. Credentials and region come
 * from the SDK's default provider chain, as for the AWS CLI: environment, `--profile`/AWS_PROFILE in
 * ~/.aws/config and ~/.aws/credentials (SSO included), then container and instance roles.
 */
export function awsClients(options: AwsOptions): AwsClients {
  const common = clientConfig(options);
  const sfn = new SFNClient(common);
  return {
    region: async () => {
      try {
        return await sfn.config.region();
      } catch {
        throw new CliError(NO_REGION);
      }
    },
    sfn,
    emr: new EMRClient(common),
    s3: new S3Client({ ...common, forcePathStyle: options.endpointUrl !== undefined }),
  };
}
