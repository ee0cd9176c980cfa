import { lambdaHandler } from '../shared/lambda-handler';
import { dynamoDbState } from '../shared/aws-ports/dynamodb';
import { emfMetrics } from '../shared/aws-ports/emf';
import { planHourlyFunction } from './wiring';

export const handler = lambdaHandler(planHourlyFunction, { state: dynamoDbState, metrics: emfMetrics });
