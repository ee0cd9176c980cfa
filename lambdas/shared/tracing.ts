import { Tracer } from '@aws-lambda-powertools/tracer';
import { type LoggingTools, loggingTools } from './powertools';

/** Powertools with the Tracer: the Logger, and X-Ray subsegments for the handler and every SDK call. */
export interface FunctionTools extends LoggingTools {
  readonly tracer: Tracer;
}

/** What every pipeline function runs with (`lambdaHandler`): the Logger and the Tracer. */
export function functionTools(serviceName: string): FunctionTools {
  return { ...loggingTools(serviceName), tracer: new Tracer({ serviceName }) };
}
