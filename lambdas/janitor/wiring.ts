import * as z from 'zod';
import { defineFunction } from '../../core/function';
import { cleanUpExecution } from './core';

/** On an execution's ABORTED/TIMED_OUT/FAILED event: terminates its clusters and releases its lock. */
export const janitorFunction = defineFunction({
  name: 'janitor',
  env: z.object({ TABLE_NAME: z.string().min(1, 'must name the pipeline DynamoDB table') }),
  ports: ['clusters', 'state'],
  deps: (env, ports) => ({ clusters: ports.clusters(), state: ports.state(env.TABLE_NAME), log: ports.log }),
  run: (event, deps) => cleanUpExecution(event, deps),
});
