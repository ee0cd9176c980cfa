import * as z from 'zod';
import { defineFunction } from '../../core/function';
import { cancelActiveSteps } from './core';

/** Cancels a cluster's PENDING/RUNNING steps (all, or those of one name): teardown and timed-out chunks. */
export const cancelStepsFunction = defineFunction({
  name: 'cancel-steps',
  env: z.object({}),
  ports: ['clusters'],
  deps: (_env, ports) => ({ steps: ports.clusters() }),
  run: (event, deps, log) => cancelActiveSteps(event, deps.steps, log),
});
