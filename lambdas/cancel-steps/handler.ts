import { lambdaHandler } from '../shared/lambda-handler';
import { emrClusters } from '../shared/aws-ports/emr';
import { cancelStepsFunction } from './wiring';

export const handler = lambdaHandler(cancelStepsFunction, { clusters: emrClusters });
