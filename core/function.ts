import type { z } from 'zod';
import type { ClusterControl, ClusterUsageSource, Logger, MetricsSink, ObjectStore, PipelineStateStore, StepControl } from './ports';

/**
 * What a pipeline function's dependencies are built from. On AWS each port is an SDK v3 client traced by
 * X-Ray (lambdas/shared/lambda-handler.ts); in the local runtime, the workspace's directories, the local
 * DynamoDB table and the local EMR (local/runtime/local-lambdas.ts). A function asks only for the ports
 * it uses.
 */
export interface FunctionPorts {
  objects(): ObjectStore;
  state(tableName: string): PipelineStateStore;
  metrics(): MetricsSink;
  clusterUsage(): ClusterUsageSource;
  clusters(): ClusterControl & StepControl;
  readonly log: Logger;
}

/** The ports a function may ask for (the logger it always gets). */
export type PortName = Exclude<keyof FunctionPorts, 'log'>;

/**
 * One pipeline function, wired once: the environment it reads (the stack sets it; synth and the local
 * runtime validate it with this schema), the dependencies it builds from that environment and the ports,
 * and what it does with an event. Its `handler.ts` on AWS and the local runtime both run exactly this.
 */
export interface FunctionWiring<E extends z.ZodObject = z.ZodObject, D = unknown, P extends PortName = PortName> {
  /** The function's folder under `lambdas/`. */
  readonly name: string;
  readonly env: E;
  /** The ports `deps` uses: its handler must supply exactly these, so a bundle carries only their SDK clients. */
  readonly ports: readonly P[];
  deps(env: z.infer<E>, ports: Pick<FunctionPorts, P | 'log'>): D;
  run(event: unknown, deps: D, log: Logger): Promise<unknown>;
}

/** Declares a function's wiring with its types checked (the identity at run time). */
export function defineFunction<E extends z.ZodObject, D, const P extends PortName = never>(wiring: FunctionWiring<E, D, P>): FunctionWiring<E, D, P> {
  return wiring;
}
