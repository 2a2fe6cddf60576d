import { failure } from '../../fixtures/async';
import { EXECUTION_ID, meetingRef, plan } from '../../fixtures/plans';

/**
 * Lambda logs never carry request bodies: a request can hold personal data or, with the live connector, a
 * stream key, and CloudWatch keeps logs. The handlers run here as deployed, at the most talkative level an
 * operator could set (DEBUG), and everything written to stdout and stderr is checked for the request's
 * values. (The logger reads no event-logging setting at all: functions/lib/logger.ts.)
 */
const SECRET = 'rtmps://live.example/app/sk_live_SECRET_7f3a';
const ctx = { awsRequestId: 'r', functionName: 'f', getRemainingTimeInMillis: () => 1000 } as never;
type Handler = (event: unknown, context: never) => Promise<unknown>;

let output: string[];
const saved = { ...process.env };

beforeEach(() => {
  output = [];
  for (const stream of [process.stdout, process.stderr]) {
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      output.push(String(chunk));
      return true;
    });
  }
  Object.assign(process.env, { POWERTOOLS_LOG_LEVEL: 'DEBUG', CAPTURE_BUCKET: 'capture-bucket' });
  delete process.env.POWERTOOLS_SERVICE_NAME;
});

afterEach(() => {
  jest.restoreAllMocks();
  process.env = { ...saved };
});

/** Loads modules afresh so the logger is built under the environment set above. */
function fresh<T>(load: () => T): T {
  let mod: T | undefined;
  jest.isolateModules(() => {
    mod = load();
  });
  return mod as T;
}

describe('Lambda logs', () => {
  it('never log the invocation event, even at DEBUG', async () => {
    const { handler } = fresh(() => require('../../../functions/validate-request/handler') as { handler: Handler });
    const input = { meeting: { externalMeetingId: 'standup' }, tags: { streamKey: SECRET } };
    await handler({ input, executionId: EXECUTION_ID, executionName: 'rec-1' }, ctx);
    expect(output.join('')).not.toContain(SECRET);
  });

  it('write one JSON line per entry in the Powertools format, with the invocation context while it runs', () => {
    const { Logger } = fresh(() => require('../../../functions/lib/logger') as typeof import('../../../functions/lib/logger'));
    process.env._X_AMZN_TRACE_ID = 'Root=1-abc-def;Parent=p;Sampled=1';
    const log = new Logger('svc');
    const context = { invokedFunctionArn: 'arn:f', memoryLimitInMB: '256', functionName: 'f', awsRequestId: 'r-1' } as never;
    log.addContext(context);
    log.info('first', { step: 'S' });
    log.addContext({ ...(context as object), awsRequestId: 'r-2' } as never);
    log.info('second');
    log.clearContext();
    log.info('after');
    const lines = output.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(Object.keys(lines[0]!)).toEqual(['level', 'message', 'timestamp', 'service', 'cold_start', 'function_arn', 'function_memory_size', 'function_name', 'function_request_id', 'xray_trace_id', 'step']);
    expect(lines[0]).toMatchObject({ level: 'INFO', message: 'first', service: 'svc', cold_start: true, function_request_id: 'r-1', xray_trace_id: '1-abc-def', step: 'S' });
    expect(lines[1]).toMatchObject({ cold_start: false, function_request_id: 'r-2' });
    expect(lines[2]).not.toHaveProperty('function_name');
    expect(new Date(lines[2]!.timestamp as string).toISOString()).toBe(lines[2]!.timestamp);
  });

  it('names the service POWERTOOLS_SERVICE_NAME gives, as the stack sets it', () => {
    const { Logger } = fresh(() => require('../../../functions/lib/logger') as typeof import('../../../functions/lib/logger'));
    process.env.POWERTOOLS_SERVICE_NAME = 'chime-recording';
    new Logger('svc').info('hello');
    expect(JSON.parse(output.join('').trim())).toMatchObject({ service: 'chime-recording', message: 'hello' });
  });

  it.each([
    [{ POWERTOOLS_LOG_LEVEL: 'WARN' }, ['warn', 'error']],
    [{ POWERTOOLS_LOG_LEVEL: 'debug' }, ['debug', 'info', 'warn', 'error']],
    // Lambda's own log level wins when it is the stricter one, as with Powertools.
    [{ POWERTOOLS_LOG_LEVEL: 'DEBUG', AWS_LAMBDA_LOG_LEVEL: 'ERROR' }, ['error']],
    [{ POWERTOOLS_LOG_LEVEL: 'ERROR', AWS_LAMBDA_LOG_LEVEL: 'DEBUG' }, ['error']],
    [{ POWERTOOLS_LOG_LEVEL: 'SILENT' }, []],
    [{ POWERTOOLS_LOG_LEVEL: 'nonsense' }, ['info', 'warn', 'error']],
  ])('with %j write only %j', (env, written) => {
    const { Logger } = fresh(() => require('../../../functions/lib/logger') as typeof import('../../../functions/lib/logger'));
    Object.assign(process.env, env);
    const log = new Logger('svc');
    for (const level of ['debug', 'info', 'warn', 'error'] as const) log[level](level);
    expect(output.map((l) => (JSON.parse(l) as { message: string }).message)).toEqual(written);
  });

  it('log a failed step by error name only; the error carries field names, not the values', async () => {
    const { handler } = fresh(() => require('../../../functions/validate-request/handler') as { handler: Handler });
    const input = { meeting: {}, rtmpUrl: SECRET, capture: { audio: SECRET } };
    const err = await failure(handler({ input, executionId: EXECUTION_ID, executionName: 'rec-1' }, ctx));
    expect(err.name).toBe('InvalidRequest');
    // The Lambda runtime logs a thrown error and Step Functions records it: it must not echo values either.
    expect(err.message).toContain('rtmpUrl');
    expect(err.message).not.toContain(SECRET);
    const logged = output.join('');
    expect(logged).toContain('"error":"InvalidRequest"');
    expect(logged).not.toContain(SECRET);
    // The failure is logged once, as a warning carrying the invocation's context.
    expect(output).toHaveLength(1);
    expect(JSON.parse(output[0]!)).toMatchObject({ level: 'WARN', message: 'step failed', function_name: 'f', function_request_id: 'r', step: 'ValidateRequest' });
  });

  it('log an AWS failure without the request that caused it', async () => {
    const { handler, pipelines, mockClient } = fresh(() => ({
      handler: (require('../../../functions/start-capture/handler') as { handler: Handler }).handler,
      pipelines: require('@aws-sdk/client-chime-sdk-media-pipelines') as typeof import('@aws-sdk/client-chime-sdk-media-pipelines'),
      mockClient: (require('aws-sdk-client-mock') as typeof import('aws-sdk-client-mock')).mockClient,
    }));
    const mock = mockClient(pipelines.ChimeSDKMediaPipelinesClient);
    mock.on(pipelines.CreateMediaCapturePipelineCommand).rejects(new pipelines.ServiceFailureException({ message: 'internal error', $metadata: {} }));
    const request = plan({ meeting: {}, tags: { streamKey: SECRET } });
    const err = await failure(handler({ plan: request, chimeMeeting: meetingRef, role: { roleArn: 'r', createdAt: '2026-01-01T00:00:00.000Z', fresh: false } }, ctx));
    mock.restore();
    expect(err.name).toBe('ServiceBusy');
    const logged = output.join('');
    expect(logged).toContain('"error":"ServiceBusy"');
    expect(logged).not.toContain(SECRET);
  });
});
