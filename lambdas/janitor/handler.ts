import { lambdaHandler } from '../shared/lambda-handler';
import { dynamoDbState } from '../shared/aws-ports/dynamodb';
import { emrClusters } from '../shared/aws-ports/emr';
import { janitorFunction } from './wiring';

export const handler = lambdaHandler(janitorFunction, { clusters: emrClusters, state: dynamoDbState });
