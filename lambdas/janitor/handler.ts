import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EMRClient } from '@aws-sdk/client-emr';
import { z } from 'zod';
import { DynamoPipelineStateStore } from '../../core/aws/dynamodb-state-store';
import { EmrControl } from '../../core/aws/emr-control';
import { readEnv } from '../../core/env';
import { functionTools, instrumentedHandler } from '../shared/powertools';
import { cleanUpExecution } from './core';

const env = readEnv(z.object({ TABLE_NAME: z.string().min(1, 'must name the pipeline DynamoDB table') }));
const tools = functionTools('janitor');
const deps = {
  clusters: new EmrControl(tools.tracer.captureAWSv3Client(new EMRClient({}))),
  state: new DynamoPipelineStateStore(env.TABLE_NAME, tools.tracer.captureAWSv3Client(new DynamoDBClient({}))),
  log: tools.logger,
};

export const handler = instrumentedHandler(tools, (event) => cleanUpExecution(event, deps));
