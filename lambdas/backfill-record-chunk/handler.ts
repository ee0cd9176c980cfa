import { lambdaHandler } from '../shared/lambda-handler';
import { s3Objects } from '../shared/aws-ports/s3';
import { recordChunkFunction } from './wiring';

export const handler = lambdaHandler(recordChunkFunction, { objects: s3Objects });
