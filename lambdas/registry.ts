import type { FunctionWiring } from '../core/function';
import { backfillFinalizeFunction } from './backfill-finalize/wiring';
import { recordChunkFunction } from './backfill-record-chunk/wiring';
import { cancelStepsFunction } from './cancel-steps/wiring';
import { fanInFunction } from './fan-in/wiring';
import { finalizeFunction } from './finalize/wiring';
import { janitorFunction } from './janitor/wiring';
import { planBackfillFunction } from './plan-backfill/wiring';
import { planHourlyFunction } from './plan-hourly/wiring';

/**
 * Every pipeline function's wiring, keyed by its folder (= the name lib/ deploys it under): what the local
 * runtime runs in-process for a Task state that invokes the function.
 */
export const PIPELINE_FUNCTIONS: Readonly<Record<string, FunctionWiring>> = Object.fromEntries(
  [planHourlyFunction, finalizeFunction, cancelStepsFunction, janitorFunction, planBackfillFunction, recordChunkFunction, fanInFunction, backfillFinalizeFunction].map(
    (wiring) => [wiring.name, wiring as unknown as FunctionWiring],
  ),
);
