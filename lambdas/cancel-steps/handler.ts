import { EMRClient } from '@aws-sdk/client-emr';
import { EmrControl } from '../../core/aws/emr-control';
import { functionTools, instrumentedHandler } from '../shared/powertools';
import { cancelActiveSteps } from './core';

const tools = functionTools('cancel-steps');
const emr = new EmrControl(tools.tracer.captureAWSv3Client(new EMRClient({})));

export const handler = instrumentedHandler(tools, (event) => cancelActiveSteps(event, emr, tools.logger));
