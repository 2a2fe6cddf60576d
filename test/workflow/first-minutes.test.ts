import { checkEventType, checkOperationError } from '../../local/core/aws-names';
import { eventTypeOf } from '../../local/core/bus';
import { record, startHarness, type Harness } from '../../local/harness';
import { LiveView, MARKS } from '../../local/live-view';
import { CASES } from '../../local/matrix';
import { parseStartArgs, UsageError } from '../../local/start';

/**
 * What a newcomer trips over first (issue 18): fault names checked before anything runs, and a live
 * view that marks each fault, retry and caught error where it happens.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ behaviour: { 'pipeline-interruptions': 'temporary-failure-then-resumed' } });
});
afterAll(() => h.close());
afterEach(() => {
  h.cloud.router.faults.clear();
  h.cloud.bus.clearFaults();
});

function usageError(argv: string[]): UsageError {
  try {
    parseStartArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  throw new Error(`parseStartArgs accepted ${argv.join(' ')}`);
}

describe('fault names', () => {
  it.each([
    [['--inject', 'CreateMeting:ThrottlingException'], /no operation "CreateMeting" .*Did you mean "CreateMeeting"/],
    [['--inject', 'createMeeting:ThrottlingException'], /no operation "createMeeting" .*Did you mean "CreateMeeting"/],
    [['--inject', 'CreateMeeting:FooBar'], /AWS does not answer CreateMeeting with "FooBar"\. It may answer: BadRequestException, .*ThrottlingException/],
    [['--inject', 'CreateMeeting:ThrottledClientException'], /Did you mean "ThrottlingException"/],
    [['--inject', 'GetRole:NoSuchEntityException'], /Did you mean "NoSuchEntity"/],
    [['--drop-event', 'chime:MeetingEnd'], /--drop-event chime:MeetingEnd: the local cloud publishes no event of type "chime:MeetingEnd"\. Did you mean "chime:MeetingEnded"/],
    [['--drop-event', 'MeetingEnded'], /Did you mean "chime:MeetingEnded"/],
    [['--duplicate-event', 'chime:meetingended'], /Did you mean "chime:MeetingEnded"/],
  ])('%j is refused (exit 2), naming the closest valid names', (argv, message) => {
    const err = usageError(argv);
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(message);
  });

  it("accepts every fault of the reliability matrix, and AWS's names in other services", () => {
    // The injected faults (Operation: ...); not the lost events, nor the cases no fault makes (an execution stopped by hand).
    for (const c of CASES.filter((x) => !x.name.includes('event') && /^[A-Z][A-Za-z]+:/.test(x.name))) {
      const operation = c.name.split(':')[0]!;
      const error = c.fault.split(' ')[0]!;
      expect(() => checkOperationError('--inject', operation, error)).not.toThrow();
    }
    for (const [operation, error] of [
      ['GetRole', 'NoSuchEntity'],
      ['PutObject', 'SlowDown'],
      ['GetItem', 'ProvisionedThroughputExceededException'],
      ['StartExecution', 'ExecutionAlreadyExists'],
      ['GetSecretValue', 'ResourceNotFoundException'],
    ] as const) {
      expect(() => checkOperationError('--inject', operation, error)).not.toThrow();
    }
    expect(parseStartArgs(['--inject', 'CreateMeeting:ThrottlingException:forever', '--drop-event', 'chime:MeetingEnded', '--duplicate-event', 'Object Created']).inject).toHaveLength(1);
  });

  it('knows every event type a recording publishes', async () => {
    const e = await record(h, { meeting: {} }, { lengthMs: 6 * 60_000, attendees: 2, lengthFrom: 'capture' });
    expect(e.status).toBe('SUCCEEDED');
    const published = new Set(h.cloud.bus.published.map((ev) => eventTypeOf(ev)));
    // The interruptions behaviour and the concatenation bucket's notifications (on five minutes after
    // they are turned on, as S3 documents) add their events too.
    for (const t of ['chime:MediaPipelineTemporaryFailure', 'chime:MediaPipelineResumed', 'Object Created', 'chime:AttendeeJoined']) expect(published.has(t)).toBe(true);
    for (const t of published) expect(() => checkEventType('--drop-event', t)).not.toThrow();
  });
});

describe('the live view', () => {
  function watch(): { lines: string[]; view: LiveView } {
    const lines: string[] = [];
    return { lines, view: new LiveView(h.cloud, (l) => lines.push(l)) };
  }

  it('marks each injected fault, each retry and each duplicated event where it happens, and counts them', async () => {
    const { lines, view } = watch();
    h.cloud.router.faults.add({ operation: 'CreateMediaCapturePipeline', error: 'ThrottledClientException', count: 2 });
    h.cloud.bus.addFault({ eventType: 'chime:AttendeeJoined', action: 'duplicate', times: 3 });
    h.cloud.bus.addFault({ eventType: 'chime:AttendeeAdded', action: 'drop' });
    const e = await record(h);
    view.finish({ status: e.status, transitions: e.transitions, lambdaInvocations: 0, artifacts: [], orphans: h.cloud.orphans(), keptRunningByAws: 0, error: null }, e);
    expect(e.status).toBe('SUCCEEDED');
    const text = lines.join('\n');
    expect(lines.filter((l) => l.includes(`${MARKS.injected} injected: answered CreateMediaCapturePipeline with ThrottledClientException`))).toHaveLength(2);
    expect(lines.filter((l) => l.includes(`${MARKS.retry} StartCapture retries after ServiceBusy`))).toHaveLength(2);
    expect(text).toContain(`${MARKS.duplicate} duplicated event chime:AttendeeJoined: delivered 3 times`);
    expect(text).toContain(`${MARKS.drop} dropped event chime:AttendeeAdded: never delivered`);
    // The retried state still ends well: done, not caught.
    expect(text).toMatch(new RegExp(`${MARKS.done} StartCapture `));
    expect(text).toContain(`faults: 2 injected ${MARKS.injected}, events 1 dropped ${MARKS.drop}, 1 duplicated ${MARKS.duplicate}, 0 delayed ${MARKS.delay}, 0 reordered ${MARKS.reorder}; 2 retries ${MARKS.retry}, 0 caught errors ${MARKS.caught}`);
  });

  it('shows a state whose error was caught with a cross, never a check mark, and no retry for a terminal error', async () => {
    const { lines, view } = watch();
    h.cloud.router.faults.add({ operation: 'CreateMeeting', error: 'LimitExceededException' });
    const e = await record(h);
    view.finish({ status: e.status, transitions: e.transitions, lambdaInvocations: 0, artifacts: [], orphans: h.cloud.orphans(), keptRunningByAws: 0, error: { error: e.error ?? '', cause: '' } }, e);
    expect(e.error).toBe('LimitReached');
    expect(lines.some((l) => l.includes(`${MARKS.caught} CreateMeeting`) && l.endsWith('caught LimitReached'))).toBe(true);
    expect(lines.some((l) => l.includes(`${MARKS.done} CreateMeeting`))).toBe(false);
    expect(lines.some((l) => l.includes(`${MARKS.retry} `) && l.includes('retries after'))).toBe(false);
    expect(lines.join('\n')).not.toContain('decides');
    expect(lines.join('\n')).toContain(`1 caught errors ${MARKS.caught}`);
  });
});
