/**
 * The real Lambda cores, called in-process with local adapters of their ports. Each entry is the local
 * twin of a `lambdas/<name>/handler.ts`: it builds the same dependencies from the function's environment
 * (as synthesized in the template), but over the workspace instead of SDK clients — except S3 under
 * `--aws-fidelity`, where `objects` is the real S3 adapter pointed at the local endpoint.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { BackfillFinalizeEnvSchema, FinalizeBackfillEventSchema, finalizeBackfill } from '../../lambdas/backfill-finalize/core';
import { RecordChunkEventSchema, recordChunkStep } from '../../lambdas/backfill-record-chunk/core';
import { cancelActiveSteps } from '../../lambdas/cancel-steps/core';
import { FanInEventSchema, fanIn } from '../../lambdas/fan-in/core';
import { finalizeRun } from '../../lambdas/finalize/core';
import { FinalizeEnvSchema } from '../../core/finalize-input';
import { cleanUpExecution } from '../../lambdas/janitor/core';
import { type PlanBackfillEvent, planBackfillRun } from '../../lambdas/plan-backfill/core';
import { planBackfillDeps, PlanBackfillEnvSchema } from '../../lambdas/plan-backfill/env';
import { parseBackfillState } from '../../core/backfill/errors';
import { planHourly } from '../../lambdas/plan-hourly/core';
import { PlanHourlyEnvSchema, planHourlySettings } from '../../lambdas/plan-hourly/schema';
import { nonEmpty, readEnv } from '../../core/env';
import type { Logger, ObjectStore } from '../../core/ports';
import { FileMetricsSink } from '../adapters/console-sinks';
import { FileLogger } from '../adapters/file-logger';
import { LocalDynamoDb } from '../adapters/dynamodb-table';
import { LocalClusterUsage } from '../adapters/cluster-usage';
import { LocalEmrControl } from '../adapters/emr-control';
import { DirectoryObjectStore } from '../adapters/object-store';
import { LocalPipelineStateStore } from '../adapters/pipeline-state-store';
import { LocalEmr } from './local-emr';
import { Workspace } from './workspace';

export interface LocalServices {
  workspace: Workspace;
  emr: LocalEmr;
  db: LocalDynamoDb;
  /** What the Lambdas' `ObjectStore` is. @default - the workspace's `s3/` directories */
  objects?: ObjectStore;
}

function objectsOf(services: LocalServices): ObjectStore {
  return services.objects ?? new DirectoryObjectStore(services.workspace);
}

type LocalHandler = (event: unknown, env: Record<string, string>, services: LocalServices, log: Logger) => Promise<unknown>;

const LakeEnv = z.object({ LAKE_BUCKET: nonEmpty });
const LakeAndLogsEnv = z.object({ LAKE_BUCKET: nonEmpty, EMR_LOG_URI: nonEmpty });
const TableEnv = z.object({ TABLE_NAME: nonEmpty });

/** Keyed by the function's folder under `lambdas/`. */
export const LOCAL_LAMBDAS: Readonly<Record<string, LocalHandler>> = {
  'plan-backfill': async (event, env, services) =>
    planBackfillRun(event as PlanBackfillEvent, planBackfillDeps(readEnv(PlanBackfillEnvSchema, env), objectsOf(services))),
  'backfill-record-chunk': async (event, env, services) => {
    const e = readEnv(LakeEnv, env);
    const input = parseBackfillState(RecordChunkEventSchema, event, 'record-chunk input');
    const record = await recordChunkStep(input, objectsOf(services), e.LAKE_BUCKET, new Date());
    return { chunkId: record.chunkId, failed: record.error !== null };
  },
  'fan-in': async (event, env, services) => {
    const e = readEnv(LakeAndLogsEnv, env);
    const input = parseBackfillState(FanInEventSchema, event, 'fan-in input');
    return fanIn(input, { store: objectsOf(services), lakeBucket: e.LAKE_BUCKET, emrLogUri: e.EMR_LOG_URI, now: () => new Date() });
  },
  'backfill-finalize': async (event, env, services, log) => {
    const { db, emr } = services;
    const e = readEnv(BackfillFinalizeEnvSchema, env);
    const input = parseBackfillState(FinalizeBackfillEventSchema, event, 'backfill-finalize input');
    return finalizeBackfill(input, {
      store: objectsOf(services),
      lakeBucket: e.LAKE_BUCKET,
      emrLogUri: e.EMR_LOG_URI,
      now: () => new Date(),
      state: new LocalPipelineStateStore(db, e.TABLE_NAME),
      usage: new LocalClusterUsage(emr),
      prices: e.PRICE_TABLE,
      log,
    });
  },
  'plan-hourly': async (event, env, { workspace, db }) => {
    const e = readEnv(PlanHourlyEnvSchema, env);
    return planHourly(event, {
      state: new LocalPipelineStateStore(db, e.TABLE_NAME),
      metrics: new FileMetricsSink(join(workspace.root, 'logs', 'metrics.jsonl')),
      now: new Date(),
      settings: planHourlySettings(e),
    });
  },
  finalize: async (event, env, services, log) => {
    const { workspace, db, emr } = services;
    const e = readEnv(FinalizeEnvSchema, env);
    return finalizeRun(event, {
      objects: objectsOf(services),
      state: new LocalPipelineStateStore(db, e.TABLE_NAME),
      metrics: new FileMetricsSink(join(workspace.root, 'logs', 'metrics.jsonl')),
      usage: new LocalClusterUsage(emr),
      log,
      settings: { lakeBucket: e.LAKE_BUCKET, emrLogUri: e.EMR_LOG_URI, metricsNamespace: e.METRICS_NAMESPACE, prices: e.PRICE_TABLE },
      now: new Date(),
    });
  },
  'cancel-steps': async (event, _env, { emr }, log) => cancelActiveSteps(event, new LocalEmrControl(emr), log),
  janitor: async (event, env, { emr, db }, log) => {
    const e = readEnv(TableEnv, env);
    return cleanUpExecution(event, { clusters: new LocalEmrControl(emr), state: new LocalPipelineStateStore(db, e.TABLE_NAME), log });
  },
};

/** Structured Lambda logs go to `<workspace>/logs/lambda/<name>.log`, as CloudWatch would keep them apart. */
export function lambdaLogger(workspace: Workspace, name: string): Logger {
  return new FileLogger(join(workspace.root, 'logs', 'lambda', `${name}.log`), name);
}
