import { lambdaHandler } from '../shared/lambda-handler';
import { dynamoDbState } from '../shared/aws-ports/dynamodb';
import { emfMetrics } from '../shared/aws-ports/emf';
import { emrClusterUsage } from '../shared/aws-ports/emr';
import { s3Objects } from '../shared/aws-ports/s3';
import { backfillFinalizeFunction } from './wiring';

export const handler = lambdaHandler(backfillFinalizeFunction, { objects: s3Objects, state: dynamoDbState, metrics: emfMetrics, clusterUsage: emrClusterUsage });
