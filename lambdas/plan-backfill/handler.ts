import { lambdaHandler } from '../shared/lambda-handler';
import { s3Objects } from '../shared/aws-ports/s3';
import { planBackfillFunction } from './wiring';

export const handler = lambdaHandler(planBackfillFunction, { objects: s3Objects });
