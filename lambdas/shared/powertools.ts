import { Logger } from '@aws-lambda-powertools/logger';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';

/**
 * Powertools for AWS Lambda, set up once per function at cold start. The Logger writes JSON with the
 * request id, cold-start flag and function name, at the level `POWERTOOLS_LOG_LEVEL` sets (default
 * INFO); the Tracer, when the function has one (`./tracing`), records the handler and, through
 * `captureAWSv3Client`, every SDK call as X-Ray subsegments.
 *
 * Only types come from the Tracer's package here: a bundle carries the Tracer and the X-Ray SDK under
 * it (about 110 KB minified) only when its handler imports `./tracing`.
 */
export interface LoggingTools {
  readonly logger: Logger;
  readonly tracer?: Tracer;
}

/**
 * The Logger alone, for a function whose SDK calls are not worth tracing: the security-group cleanup,
 * which runs once, when the stack is deleted (docs/BENCHMARKS.md, series f).
 */
export function loggingTools(serviceName: string): LoggingTools {
  return { logger: new Logger({ serviceName }) };
}

/** What ties a log line to a run: the Step Functions execution and the pipeline's run id. */
export interface CorrelationKeys {
  executionArn?: string;
  runId?: string;
}

/**
 * Reads the correlation keys from an event as the state machines send them: `executionArn` and
 * `runId` at the top, or `plan.runId`, or an EventBridge status change's `detail.executionArn`.
 * Events that carry neither get no keys rather than an error: validation is the core's job.
 */
export function correlationKeys(event: unknown): CorrelationKeys {
  const record = asRecord(event);
  const plan = asRecord(record.plan);
  const detail = asRecord(record.detail);
  const executionArn = stringOf(record.executionArn) ?? stringOf(detail.executionArn);
  const runId = stringOf(record.runId) ?? stringOf(plan.runId);
  return { ...(executionArn ? { executionArn } : {}), ...(runId ? { runId } : {}) };
}

/**
 * Wraps a handler the way Powertools' middy middlewares do, without middy: adds the Lambda context
 * and the correlation keys to every log line, traces the invocation (with a Tracer) in a `## handler`
 * subsegment with the cold-start annotation, logs a failure once with its error, and clears the keys
 * afterwards.
 */
export function instrumentedHandler<R>(
  tools: LoggingTools,
  run: (event: unknown) => Promise<R>,
  afterEach: () => void = () => {},
): (event: unknown, context: Context) => Promise<R> {
  const { logger, tracer } = tools;
  return async (event, context) => {
    logger.addContext(context);
    logger.appendKeys({ ...correlationKeys(event) });
    const parent = tracer?.getSegment();
    const segment = parent?.addNewSubsegment('## handler');
    if (segment) tracer?.setSegment(segment);
    tracer?.annotateColdStart();
    tracer?.addServiceNameAnnotation();
    try {
      const result = await run(event);
      tracer?.addResponseAsMetadata(result, 'handler');
      return result;
    } catch (error) {
      tracer?.addErrorAsMetadata(error as Error);
      logger.error('invocation failed', error as Error);
      throw error;
    } finally {
      afterEach();
      segment?.close();
      if (parent) tracer?.setSegment(parent);
      logger.resetKeys();
    }
  };
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
