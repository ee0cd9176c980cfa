import type { Context } from 'aws-lambda';
import { correlationKeys, instrumentedHandler, loggingTools } from '../../../lambdas/shared/powertools';
import { functionTools } from '../../../lambdas/shared/tracing';
import { jsonLinesWrittenBy } from './written-json-lines';

const EXECUTION_ARN = 'arn:aws:states:eu-west-1:123456789012:execution:AqiHourly:run-1';
const RUN_ID = 'hourly-20250101T0300Z-1a2b3c4d';

function lambdaContext(requestId: string): Context {
  return {
    awsRequestId: requestId,
    functionName: 'AqiPipeline-Finalize',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:AqiPipeline-Finalize',
    memoryLimitInMB: '512',
  } as Context;
}

describe('correlationKeys', () => {
  it('takes the execution ARN and the run id from the top of the event', () => {
    expect(correlationKeys({ executionArn: EXECUTION_ARN, runId: RUN_ID })).toEqual({ executionArn: EXECUTION_ARN, runId: RUN_ID });
  });

  it("takes the run id from the plan and the ARN from a status change's detail", () => {
    expect(correlationKeys({ plan: { runId: RUN_ID }, detail: { executionArn: EXECUTION_ARN } })).toEqual({ executionArn: EXECUTION_ARN, runId: RUN_ID });
  });

  it('gives no keys for an event without them, rather than failing', () => {
    expect(correlationKeys(null)).toEqual({});
    expect(correlationKeys({ runId: 7 })).toEqual({});
  });
});

describe('instrumentedHandler', () => {
  // Lambda sets it for on-demand functions; Powertools reports cold starts only then.
  beforeAll(() => {
    process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
  });
  afterAll(() => {
    delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
  });

  it('logs JSON with the request id, the cold start flag and the correlation keys, then forgets the keys', async () => {
    // GIVEN
    const tools = functionTools('finalize');
    const handler = instrumentedHandler(tools, async (event) => {
      tools.logger.info('finalized run', { status: 'SUCCEEDED' });
      return event;
    });
    // WHEN
    const lines = await jsonLinesWrittenBy(async () => {
      await handler({ executionArn: EXECUTION_ARN, plan: { runId: RUN_ID } }, lambdaContext('req-1'));
      await handler({}, lambdaContext('req-2'));
    });
    // THEN
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      level: 'INFO',
      message: 'finalized run',
      service: 'finalize',
      function_request_id: 'req-1',
      cold_start: true,
      executionArn: EXECUTION_ARN,
      runId: RUN_ID,
      status: 'SUCCEEDED',
    });
    expect(lines[1]).toMatchObject({ function_request_id: 'req-2', cold_start: false });
    expect(lines[1]).not.toHaveProperty('executionArn');
  });

  it('logs a failed invocation once at ERROR with its error, and rethrows it', async () => {
    // GIVEN
    const tools = functionTools('janitor');
    const failure = Object.assign(new Error('table missing'), { name: 'StateStoreUnavailable' });
    const handler = instrumentedHandler(tools, async () => {
      throw failure;
    });
    // WHEN
    let thrown: unknown;
    const lines = await jsonLinesWrittenBy(() => handler({ runId: RUN_ID }, lambdaContext('req-3')).catch((e: unknown) => (thrown = e)));
    // THEN
    expect(thrown).toBe(failure);
    expect(lines).toEqual([expect.objectContaining({ level: 'ERROR', message: 'invocation failed', runId: RUN_ID, error: expect.objectContaining({ name: 'StateStoreUnavailable', message: 'table missing' }) })]);
  });

  it('logs the same way for a function without a Tracer', async () => {
    // GIVEN
    const tools = loggingTools('security-group-cleanup');
    const failure = new Error('DependencyViolation');
    const handler = instrumentedHandler(tools, async (event) => {
      tools.logger.info('revoked rules', { count: 2 });
      if (event === 'fail') throw failure;
      return 'done';
    });
    // WHEN
    let thrown: unknown;
    const lines = await jsonLinesWrittenBy(async () => {
      await expect(handler({ runId: RUN_ID }, lambdaContext('req-5'))).resolves.toBe('done');
      await handler('fail', lambdaContext('req-6')).catch((e: unknown) => (thrown = e));
    });
    // THEN
    expect(tools.tracer).toBeUndefined();
    expect(thrown).toBe(failure);
    expect(lines).toEqual([
      expect.objectContaining({ level: 'INFO', message: 'revoked rules', count: 2, service: 'security-group-cleanup', function_request_id: 'req-5', runId: RUN_ID }),
      expect.objectContaining({ level: 'INFO', message: 'revoked rules', function_request_id: 'req-6' }),
      expect.objectContaining({ level: 'ERROR', message: 'invocation failed', function_request_id: 'req-6', error: expect.objectContaining({ message: 'DependencyViolation' }) }),
    ]);
    expect(lines[1]).not.toHaveProperty('runId');
  });

  it('takes its level from POWERTOOLS_LOG_LEVEL', async () => {
    // GIVEN
    process.env.POWERTOOLS_LOG_LEVEL = 'WARN';
    try {
      const tools = functionTools('plan-hourly');
      const handler = instrumentedHandler(tools, async () => {
        tools.logger.info('planned hourly run');
        tools.logger.warn('window capped');
      });
      // WHEN
      const lines = await jsonLinesWrittenBy(() => handler({}, lambdaContext('req-4')));
      // THEN
      expect(lines.map((line) => line.message)).toEqual(['window capped']);
    } finally {
      delete process.env.POWERTOOLS_LOG_LEVEL;
    }
  });
});
