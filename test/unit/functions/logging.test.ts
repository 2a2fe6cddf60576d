import { failure } from '../../fixtures/async';
import { EXECUTION_ID, meetingRef, plan } from '../../fixtures/plans';

/**
 * Lambda logs never carry request bodies: a request can hold personal data or, with the live connector, a
 * stream key, and CloudWatch keeps logs. The handlers run here as deployed, with the most talkative
 * settings an operator could set (DEBUG, POWERTOOLS_LOGGER_LOG_EVENT=true), and everything written to
 * stdout and stderr is checked for the request's values.
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
  Object.assign(process.env, { POWERTOOLS_LOG_LEVEL: 'DEBUG', POWERTOOLS_LOGGER_LOG_EVENT: 'true', CAPTURE_BUCKET: 'capture-bucket' });
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
  it('never log the invocation event, even when POWERTOOLS_LOGGER_LOG_EVENT is true', async () => {
    const { handler } = fresh(() => require('../../../functions/validate-request/handler') as { handler: Handler });
    const input = { meeting: { externalMeetingId: 'standup' }, tags: { streamKey: SECRET } };
    await handler({ input, executionId: EXECUTION_ID, executionName: 'rec-1' }, ctx);
    expect(output.join('')).not.toContain(SECRET);
  });

  it('cannot be told to log an event, even by a middleware asking for it (logEvent: true)', () => {
    const { logger } = fresh(() => require('../../../functions/lib/logger') as typeof import('../../../functions/lib/logger'));
    logger.logEventIfEnabled({ body: SECRET }, true);
    logger.info('still logging');
    const logged = output.join('');
    expect(logged).toContain('still logging');
    expect(logged).not.toContain(SECRET);
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
    const err = await failure(handler({ plan: request, chimeMeeting: meetingRef, role: { roleArn: 'r', fresh: false } }, ctx));
    mock.restore();
    expect(err.name).toBe('ServiceBusy');
    const logged = output.join('');
    expect(logged).toContain('"error":"ServiceBusy"');
    expect(logged).not.toContain(SECRET);
  });
});
