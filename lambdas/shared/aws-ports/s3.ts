import { S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../../../core/aws/s3-object-store';
import { type AwsPort, traced } from '../lambda-handler';

export const s3Objects: AwsPort<'objects'> = (tools) => () => new S3ObjectStore(traced(tools, new S3Client({})));
