/**
 * The real pipeline functions, run in-process over local adapters of their ports. Each is the wiring its
 * `lambdas/<name>/handler.ts` runs on AWS (lambdas/registry.ts): the same environment schema (read from
 * the synthesized template), the same dependency builder and run function, but over the workspace instead
 * of SDK clients — except S3 under `--aws-fidelity`, where `objects` is the real S3 adapter pointed at the
 * local endpoint.
 */
import { join } from 'node:path';
import { readEnv } from '../../core/env';
import type { FunctionPorts } from '../../core/function';
import type { Logger, ObjectStore } from '../../core/ports';
import { PIPELINE_FUNCTIONS } from '../../lambdas/registry';
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

type LocalHandler = (event: unknown, env: Record<string, string>, services: LocalServices, log: Logger) => Promise<unknown>;

/** The ports of a function over the local services: what `lambdaHandler` builds from SDK clients on AWS. */
function localPorts(services: LocalServices, log: Logger): FunctionPorts {
  const { workspace, emr, db } = services;
  return {
    objects: () => services.objects ?? new DirectoryObjectStore(workspace),
    state: (tableName) => new LocalPipelineStateStore(db, tableName),
    metrics: () => new FileMetricsSink(join(workspace.root, 'logs', 'metrics.jsonl')),
    clusterUsage: () => new LocalClusterUsage(emr),
    clusters: () => new LocalEmrControl(emr),
    log,
  };
}

/** Keyed by the function's folder under `lambdas/`. */
export const LOCAL_LAMBDAS: Readonly<Record<string, LocalHandler>> = Object.fromEntries(
  Object.entries(PIPELINE_FUNCTIONS).map(([name, wiring]) => [
    name,
    (event: unknown, env: Record<string, string>, services: LocalServices, log: Logger) =>
      wiring.run(event, wiring.deps(readEnv(wiring.env, env), localPorts(services, log)), log),
  ]),
);

/** Structured Lambda logs go to `<workspace>/logs/lambda/<name>.log`, as CloudWatch would keep them apart. */
export function lambdaLogger(workspace: Workspace, name: string): Logger {
  return new FileLogger(join(workspace.root, 'logs', 'lambda', `${name}.log`), name);
}
