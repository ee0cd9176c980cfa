import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { readEnv } from '../../core/env';
import type { FunctionPorts, FunctionWiring, PortName } from '../../core/function';
import { instrumentedHandler } from './powertools';
import { type FunctionTools, functionTools } from './tracing';

/**
 * The Lambda handler of a function's wiring. At cold start: Powertools for the function, its environment
 * validated (a misconfigured function fails naming the variable), its dependencies built over the AWS
 * adapters of the ports it declares, each SDK client traced by X-Ray. Per invocation: the wiring's `run`
 * inside Powertools' instrumentation.
 */
export function lambdaHandler<E extends z.ZodObject, D, P extends PortName>(
  wiring: FunctionWiring<E, D, P>,
  adapters: { readonly [K in P]: AwsPort<K> },
): (event: unknown, context: Context) => Promise<unknown> {
  const tools = functionTools(wiring.name);
  const ports = Object.fromEntries(
    wiring.ports.map((name) => [name, (adapters[name] as AwsPort<PortName>)(tools, wiring.name)]),
  ) as unknown as Pick<FunctionPorts, P>;
  const deps = wiring.deps(readEnv(wiring.env), { ...ports, log: tools.logger } as Pick<FunctionPorts, P | 'log'>);
  return instrumentedHandler(tools, (event) => wiring.run(event, deps, tools.logger));
}

/**
 * One port over AWS (lambdas/shared/aws-ports/). Each lives in its own module, so a handler's bundle holds
 * only the SDK clients of the ports it passes.
 */
export type AwsPort<K extends PortName> = (tools: FunctionTools, functionName: string) => FunctionPorts[K];

/** An SDK client whose calls X-Ray records as subsegments. */
export function traced<C extends object>(tools: FunctionTools, client: C): C {
  return tools.tracer.captureAWSv3Client(client);
}
