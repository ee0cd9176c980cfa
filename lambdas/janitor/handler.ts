import { DynamoPipelineStateStore } from '../shared/aws/dynamodb-state-store';
import { EmrControl } from '../shared/aws/emr-control';
import { readEnv } from '../shared/env';
import { createLogger } from '../shared/logger';
import { cleanUpExecution } from './core';
import { z } from 'zod';

const env = readEnv(z.object({ TABLE_NAME: z.string().min(1, 'must name the pipeline DynamoDB table') }));
const deps = { clusters: new EmrControl(), state: new DynamoPipelineStateStore(env.TABLE_NAME), log: createLogger('janitor') };

export async function handler(event: unknown) {
  return cleanUpExecution(event, deps);
}
