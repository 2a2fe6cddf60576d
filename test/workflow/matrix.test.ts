import fs from 'node:fs';
import path from 'node:path';
import { DeleteServiceLinkedRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import type { EventFault } from '../../local/core/bus';
import type { FaultSpec } from '../../local/core/faults';
import { joinAttendees, meetingIdOf, simulateMeeting } from '../../local/simulate';
import type { Execution } from '../../local/sfn/runner';
import { ROLE_NAME } from '../../functions/lib/service-linked-role';
import { start, startHarness, statesEntered, waitForCapture, waitForState, storesTaskToken, type Harness } from '../../local/harness';

/**
 * The reliability matrix: every mutating AWS operation the workflow calls, under throttling that recovers,
 * throttling that never ends, a 5xx and a terminal 4xx, plus lost, duplicated, late and reordered
 * meeting-end events. Each case must end SUCCEEDED or FAILED with the expected named error, and leave no
 * meeting the workflow created and no media pipeline running (after Chime's own 5-minute idle end).
 *
 * The README's reliability table is this test's output: `UPDATE_DOCS=1 npx jest test/workflow/matrix`
 * rewrites it; otherwise the test fails when the README's copy differs from what the run produced.
 */
type Mode = 'throttled, recovers' | 'throttled forever' | '5xx once' | 'terminal 4xx';

interface OperationSpec {
  operation: string;
  throttle: string;
  serverError: string;
  terminal: string;
  /** Named error when the operation fails for good (throttled forever / terminal 4xx). */
  foreverError: string;
  terminalError: string;
  /** The case needs the service-linked role to be missing first. */
  roleMissing?: boolean;
}

const OPERATIONS: OperationSpec[] = [
  { operation: 'CreateServiceLinkedRole', throttle: 'Throttling', serverError: 'ServiceFailure', terminal: 'AccessDenied', foreverError: 'ServiceBusy', terminalError: 'AccessDenied', roleMissing: true },
  { operation: 'CreateMeeting', throttle: 'ThrottlingException', serverError: 'ServiceFailureException', terminal: 'LimitExceededException', foreverError: 'ServiceBusy', terminalError: 'LimitReached' },
  { operation: 'CreateMediaCapturePipeline', throttle: 'ThrottledClientException', serverError: 'ServiceUnavailableException', terminal: 'ResourceLimitExceededException', foreverError: 'ServiceBusy', terminalError: 'LimitReached' },
  { operation: 'CreateMediaConcatenationPipeline', throttle: 'ThrottledClientException', serverError: 'ServiceFailureException', terminal: 'ForbiddenException', foreverError: 'ServiceBusy', terminalError: 'AccessDenied' },
  // Ending the meeting when the last person leaves (StartConcatenation's first act); a refusal is a permission to fix.
  { operation: 'DeleteMeeting', throttle: 'ThrottlingException', serverError: 'ServiceUnavailableException', terminal: 'ForbiddenException', foreverError: 'ServiceBusy', terminalError: 'AccessDenied' },
  { operation: 'PutItem', throttle: 'ProvisionedThroughputExceededException', serverError: 'InternalServerError', terminal: 'AccessDeniedException', foreverError: 'ServiceBusy', terminalError: 'AccessDenied' },
  { operation: 'UpdateItem', throttle: 'ProvisionedThroughputExceededException', serverError: 'InternalServerError', terminal: 'AccessDeniedException', foreverError: 'ServiceBusy', terminalError: 'AccessDenied' },
  { operation: 'SendTaskSuccess', throttle: 'ThrottlingException', serverError: 'ServiceUnavailable', terminal: 'AccessDeniedException', foreverError: 'ServiceBusy', terminalError: '-' },
];

const MODES: Mode[] = ['throttled, recovers', 'throttled forever', '5xx once', 'terminal 4xx'];

interface Case {
  name: string;
  fault: string;
  expected: string;
  run: (h: Harness) => Promise<Execution>;
}

function faultFor(op: OperationSpec, mode: Mode): FaultSpec {
  switch (mode) {
    case 'throttled, recovers':
      return { operation: op.operation, error: op.throttle, count: 2 };
    case 'throttled forever':
      return { operation: op.operation, error: op.throttle, count: Infinity };
    case '5xx once':
      return { operation: op.operation, error: op.serverError, count: 1 };
    case 'terminal 4xx':
      return { operation: op.operation, error: op.terminal, count: 1 };
  }
}

function expectedFor(op: OperationSpec, mode: Mode): string {
  if (mode === 'throttled forever') return `FAILED ${op.foreverError}`;
  if (mode === 'terminal 4xx' && op.terminalError !== '-') return `FAILED ${op.terminalError}`;
  return 'SUCCEEDED';
}

/** A normal recording (two people who leave), with `fault` armed from the start. */
async function recordWith(h: Harness, fault: FaultSpec): Promise<Execution> {
  h.cloud.router.faults.add(fault);
  const e = await start(h, { meeting: {} });
  await simulateMeeting(h.cloud, e, { lengthMs: 60_000, attendees: 2 });
  return e;
}

/** A meeting the host ends for everyone: the MeetingEnded event is then the workflow's only signal. */
async function hostEnds(h: Harness, eventFault: EventFault, opts: { beforeToken?: boolean } = {}): Promise<Execution> {
  h.cloud.bus.addFault(eventFault);
  const e = await start(h, { meeting: {} });
  const meetingId = (await meetingIdOf(h.cloud, e))!;
  await joinAttendees(h.cloud, meetingId, 1);
  if (opts.beforeToken) {
    await waitForState(h, e, 'StartCapture');
    // Holds AwaitMeetingEnd's token write (the next UpdateItem) while the meeting records and ends.
    h.cloud.router.faults.add({ operation: 'UpdateItem', latencyMs: 60_000, where: storesTaskToken });
  } else {
    await waitForState(h, e, 'AwaitMeetingEnd');
  }
  await waitForCapture(h, e);
  h.cloud.meetings.end(meetingId);
  return e;
}

const CASES: Case[] = [
  ...OPERATIONS.flatMap((op) =>
    MODES.map((mode) => ({
      name: `${op.operation}: ${mode}`,
      fault: `${faultFor(op, mode).error} x${faultFor(op, mode).count === Infinity ? '∞' : faultFor(op, mode).count}`,
      expected: expectedFor(op, mode),
      run: async (h: Harness) => {
        if (op.roleMissing) await removeRole(h);
        return recordWith(h, faultFor(op, mode));
      },
    })),
  ),
  { name: 'MeetingEnded event: dropped', fault: 'drop', expected: 'SUCCEEDED', run: (h) => hostEnds(h, { eventType: 'chime:MeetingEnded', action: 'drop' }) },
  { name: 'MeetingEnded event: duplicated x3', fault: 'duplicate x3', expected: 'SUCCEEDED', run: (h) => hostEnds(h, { eventType: 'chime:MeetingEnded', action: 'duplicate', times: 3 }) },
  { name: 'MeetingEnded event: delayed past the wait', fault: 'delay 2 h', expected: 'SUCCEEDED', run: (h) => hostEnds(h, { eventType: 'chime:MeetingEnded', action: 'delay', delayMs: 2 * 3600_000 }) },
  {
    name: 'MeetingEnded event: reordered before the token is stored',
    fault: 'reorder',
    expected: 'SUCCEEDED',
    run: (h) => hostEnds(h, { eventType: 'chime:MeetingEnded', action: 'reorder' }, { beforeToken: true }),
  },
];

async function removeRole(h: Harness): Promise<void> {
  if (h.cloud.iam.roleCreatedAt(ROLE_NAME) === undefined) return;
  const iam = new IAMClient(h.cloud.clientConfig());
  try {
    await iam.send(new DeleteServiceLinkedRoleCommand({ RoleName: ROLE_NAME }));
  } finally {
    iam.destroy();
  }
  // Until the deletion task ends (simulated seconds) the role still exists for GetRole.
  while (h.cloud.iam.roleCreatedAt(ROLE_NAME) !== undefined) await h.cloud.clock.sleep(1000);
}

let h: Harness;
const rows: string[] = [];

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe('reliability matrix', () => {
  it.each(CASES.map((c) => [c.name, c]))('%s', async (_name, c) => {
    const e = await h.run(() => c.run(h));
    const diagnostics = () => ({ hits: h.cloud.router.faults.hits(), states: statesEntered(e), failures: e.history.filter((x) => x.type.endsWith('Failed')).map((x) => JSON.stringify(x.lambdaFunctionFailedEventDetails ?? x.taskFailedEventDetails ?? x.executionFailedEventDetails)), calls: Object.fromEntries(h.cloud.router.calls) });
    // Skip idle time: retries' backoff, the one-hour safety net, and Chime's five-minute idle end.
    let seen: ReturnType<typeof diagnostics> | undefined;
    try {
      await h.cloud.fastForward(e.done);
      seen = diagnostics();
      h.cloud.router.faults.clear();
      h.cloud.bus.clearFaults();
      await h.run(async () => {
        await h.cloud.clock.sleep(6 * 60_000);
        await h.cloud.bus.drain();
      });
    } finally {
      h.cloud.router.faults.clear();
      h.cloud.bus.clearFaults();
    }
    const outcome = e.status === 'SUCCEEDED' ? 'SUCCEEDED' : `${e.status} ${e.error}`;
    const orphans = h.cloud.orphans();
    rows.push(`| ${c.name} | ${c.fault} | ${outcome} | ${orphans.meetings} | ${orphans.pipelines} |`);
    if (outcome !== c.expected) console.error(c.name, JSON.stringify(seen));
    expect({ outcome, orphans }).toEqual({ outcome: c.expected, orphans: { meetings: 0, pipelines: 0 } });
  });

  it('is the table the README shows', () => {
    const begin = '<!-- reliability:begin (generated by test/workflow/matrix.test.ts) -->';
    const end = '<!-- reliability:end -->';
    const table = `${begin}\n| case | fault | outcome | meetings left | pipelines left |\n|---|---|---|---|---|\n${rows.join('\n')}\n${end}`;
    const readme = path.resolve(__dirname, '../../README.md');
    const text = fs.readFileSync(readme, 'utf8');
    const current = text.slice(text.indexOf(begin), text.indexOf(end) + end.length);
    if (process.env.UPDATE_DOCS) fs.writeFileSync(readme, text.replace(current, table));
    else expect(current).toBe(table);
  });
});
