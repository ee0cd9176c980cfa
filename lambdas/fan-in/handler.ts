import { lambdaHandler } from '../shared/lambda-handler';
import { s3Objects } from '../shared/aws-ports/s3';
import { fanInFunction } from './wiring';

export const handler = lambdaHandler(fanInFunction, { objects: s3Objects });
