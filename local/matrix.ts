import { randomUUID } from 'node:crypto';
import { ChimeSDKMeetingsClient, CreateMeetingCommand } from '@aws-sdk/client-chime-sdk-meetings';
import { DeleteServiceLinkedRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { ROLE_NAME } from '../functions/lib/service-linked-role';
import { BEHAVIOURS, type BehaviourName, type BehaviourSettings, type BehaviourSpec } from './core/behaviours';
import type { EventFault } from './core/bus';
import type { FaultSpec } from './core/faults';
import { reconcilerPassNow, start, statesEntered, storesTaskToken, waitForCapture, waitForState, type Harness } from './harness';
import { joinAttendees, meetingIdOf, simulateMeeting } from './simulate';
import type { Execution } from './sfn/runner';

/**
 * The reliability matrix: every mutating AWS operation the workflow calls, under throttling that recovers,
 * throttling that never ends, a 5xx and a terminal 4xx, plus lost, duplicated, late and reordered
 * meeting-end events; each case under every behaviour setting (BEHAVIOUR_AXIS: where AWS does not
 * document what it does, each plausible answer). Each case must end SUCCEEDED, or FAILED with the named
 * error right for it, and leave no meeting and no media pipeline nobody asked to delete (after Chime's
 * own 5-minute idle end). The README's reliability table is generated from these definitions (npm run
 * docs); test/workflow/matrix*.test.ts run them.
 */
export type Mode = 'throttled, recovers' | 'throttled forever' | '5xx once' | 'terminal 4xx';

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
  /** How many times the terminal 4xx answers (default once). */
  terminalCount?: number;
  /** The recording's input, when the operation is called only for some (default a new meeting). */
  input?: Record<string, unknown>;
}

/** A recording whose files get readable names (output.fileName): VerifyRecording copies and deletes objects. */
const READABLE_NAMES = { meeting: {}, output: { fileName: 'matrix/{executionName}/{artifact}' } };

const OPERATIONS: OperationSpec[] = [
  { operation: 'CreateServiceLinkedRole', throttle: 'Throttling', serverError: 'ServiceFailure', terminal: 'AccessDenied', foreverError: 'ServiceBusy', terminalError: 'AccessDenied', roleMissing: true },
  { operation: 'CreateMeeting', throttle: 'ThrottlingException', serverError: 'ServiceFailureException', terminal: 'LimitExceededException', foreverError: 'ServiceBusy', terminalError: 'LimitReached' },
  { operation: 'CreateMediaCapturePipeline', throttle: 'ThrottledClientException', serverError: 'ServiceUnavailableException', terminal: 'ResourceLimitExceededException', foreverError: 'ServiceBusy', terminalError: 'LimitReached' },
  // Refused for good: a ForbiddenException within ten minutes of the role's creation may be IAM propagating
  // it (functions/lib/role-propagation.ts), retried until the window has passed; then it is AccessDenied.
  { operation: 'CreateMediaConcatenationPipeline', throttle: 'ThrottledClientException', serverError: 'ServiceFailureException', terminal: 'ForbiddenException', foreverError: 'ServiceBusy', terminalError: 'AccessDenied', terminalCount: Infinity },
  // Ending the meeting when the last person leaves (StartConcatenation's first act); a refusal is a permission to fix.
  { operation: 'DeleteMeeting', throttle: 'ThrottlingException', serverError: 'ServiceUnavailableException', terminal: 'ForbiddenException', foreverError: 'ServiceBusy', terminalError: 'AccessDenied' },
  { operation: 'PutItem', throttle: 'ProvisionedThroughputExceededException', serverError: 'InternalServerError', terminal: 'AccessDeniedException', foreverError: 'ServiceBusy', terminalError: 'AccessDenied' },
  { operation: 'UpdateItem', throttle: 'ProvisionedThroughputExceededException', serverError: 'InternalServerError', terminal: 'AccessDeniedException', foreverError: 'ServiceBusy', terminalError: 'AccessDenied' },
  { operation: 'SendTaskSuccess', throttle: 'ThrottlingException', serverError: 'ServiceUnavailable', terminal: 'AccessDeniedException', foreverError: 'ServiceBusy', terminalError: '-' },
  // Readable names: the copy, and the deletion of the pipeline-id named original after it (S3's error codes,
  // "Error responses", S3 API Reference). A refusal leaves the originals where the concatenation wrote them.
  { operation: 'CopyObject', throttle: 'SlowDown', serverError: 'InternalError', terminal: 'AccessDenied', foreverError: 'ServiceBusy', terminalError: 'AccessDenied', input: READABLE_NAMES },
  { operation: 'DeleteObject', throttle: 'SlowDown', serverError: 'InternalError', terminal: 'AccessDenied', foreverError: 'ServiceBusy', terminalError: 'AccessDenied', input: READABLE_NAMES },
];

export const MODES: Mode[] = ['throttled, recovers', 'throttled forever', '5xx once', 'terminal 4xx'];

export interface MatrixCase {
  name: string;
  /** The fault, as the README's table shows it. */
  fault: string;
  /** `SUCCEEDED`, `FAILED <error name>` or `ABORTED`: the same under every behaviour setting. */
  expected: string;
  /**
   * What the execution leaves running (after Chime's idle end), when it cannot help it: default nothing.
   * Whatever it is, the reconciler's next pass must leave nothing.
   */
  left?: Left;
  run: (h: Harness) => Promise<Execution>;
}

export interface Left {
  meetings: number;
  pipelines: number;
}

export const NOTHING_LEFT: Left = { meetings: 0, pipelines: 0 };

/** An API fault for an operation in a mode. */
export function faultFor(operation: string, mode: Mode): FaultSpec {
  const op = OPERATIONS.find((o) => o.operation === operation);
  if (!op) throw new Error(`no matrix operation ${operation}`);
  switch (mode) {
    case 'throttled, recovers':
      return { operation, error: op.throttle, count: 2 };
    case 'throttled forever':
      return { operation, error: op.throttle, count: Infinity };
    case '5xx once':
      return { operation, error: op.serverError, count: 1 };
    case 'terminal 4xx':
      return { operation, error: op.terminal, count: op.terminalCount ?? 1 };
  }
}

function expectedFor(op: OperationSpec, mode: Mode): string {
  if (mode === 'throttled forever') return `FAILED ${op.foreverError}`;
  if (mode === 'terminal 4xx' && op.terminalError !== '-') return `FAILED ${op.terminalError}`;
  return 'SUCCEEDED';
}

/** A normal recording (two people who leave), with `fault` armed from the start. */
export async function recordWith(h: Harness, fault: FaultSpec, input: Record<string, unknown> = { meeting: {} }): Promise<Execution> {
  h.cloud.router.faults.add(fault);
  const e = await start(h, input);
  await simulateMeeting(h.cloud, e, { lengthMs: 60_000, attendees: 2, lengthFrom: 'capture' });
  return e;
}

/** A meeting the host ends for everyone: the MeetingEnded event is then the workflow's only signal. */
export async function hostEnds(h: Harness, eventFault: EventFault, opts: { beforeToken?: boolean } = {}): Promise<Execution> {
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

export async function removeRole(h: Harness): Promise<void> {
  if (h.cloud.iam.roleCreatedAt(ROLE_NAME) === undefined) return;
  const iam = new IAMClient(h.cloud.clientConfig());
  try {
    await iam.send(new DeleteServiceLinkedRoleCommand({ RoleName: ROLE_NAME }));
  } finally {
    iam.destroy();
  }
  // Until the deletion task ends (simulated seconds) the role still exists for GetRole; it fails while a
  // pipeline still uses the role.
  for (let waited = 0; h.cloud.iam.roleCreatedAt(ROLE_NAME) !== undefined; waited += 1) {
    if (waited === 120) throw new Error(`${ROLE_NAME} is still there two simulated minutes after DeleteServiceLinkedRole (is a media pipeline still running?)`);
    await h.cloud.clock.sleep(1000);
  }
}

const count = (n: number) => (n === Infinity ? '∞' : String(n));

/** A meeting the application made itself (the SDK, no stack tag) with one person in it; answers its id and the person's. */
async function applicationMeeting(h: Harness): Promise<{ meetingId: string; attendeeId: string }> {
  const chime = new ChimeSDKMeetingsClient(h.cloud.clientConfig());
  try {
    const out = await chime.send(new CreateMeetingCommand({ ClientRequestToken: randomUUID(), MediaRegion: h.cloud.ctx.region, ExternalMeetingId: 'application-meeting' }));
    const meetingId = out.Meeting?.MeetingId ?? '';
    const [attendeeId] = await joinAttendees(h.cloud, meetingId, 1);
    return { meetingId, attendeeId: attendeeId! };
  } finally {
    chime.destroy();
  }
}

/**
 * Cases that leave something running, which only the reconciler removes: the execution cannot help it
 * (it was stopped, or AWS refused the deletion past every retry).
 */
const LEFT_FOR_THE_RECONCILER: MatrixCase[] = [
  {
    name: 'Execution stopped by hand while capturing',
    fault: 'StopExecution',
    expected: 'ABORTED',
    left: { meetings: 1, pipelines: 1 },
    run: async (h) => {
      const e = await start(h, { meeting: {} });
      await joinAttendees(h.cloud, (await meetingIdOf(h.cloud, e))!, 1);
      await waitForCapture(h, e);
      await h.sfn.send(new StopExecutionCommand({ executionArn: e.executionArn }));
      return e;
    },
  },
  {
    // The application's meeting goes on when its last person leaves only because our capture is in it;
    // StartConcatenation and then Cleanup are refused deleting that capture.
    name: 'DeleteMediaPipeline: refused forever, adopted meeting',
    fault: 'ForbiddenException x∞',
    expected: 'FAILED AccessDenied',
    left: { meetings: 1, pipelines: 1 },
    run: async (h) => {
      h.cloud.router.faults.add({ operation: 'DeleteMediaPipeline', error: 'ForbiddenException', count: Infinity });
      const { meetingId, attendeeId } = await applicationMeeting(h);
      const e = await start(h, { meetingId });
      await waitForCapture(h, e);
      h.cloud.meetings.leave(meetingId, attendeeId, 'left');
      return e;
    },
  },
];

export const CASES: MatrixCase[] = [
  ...OPERATIONS.flatMap((op) =>
    MODES.map((mode) => {
      const fault = faultFor(op.operation, mode);
      return {
        name: `${op.operation}: ${mode}`,
        fault: `${fault.error} x${count(fault.count ?? 1)}`,
        expected: expectedFor(op, mode),
        run: async (h: Harness) => {
          if (op.roleMissing) await removeRole(h);
          return recordWith(h, fault, op.input);
        },
      };
    }),
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
  ...LEFT_FOR_THE_RECONCILER,
];

export interface BehaviourSetting {
  label: string;
  settings: BehaviourSettings;
}

/**
 * The behaviour axis: the defaults, each behaviour's other variants one at a time (the rest at their
 * defaults), and every behaviour at its least helpful variant together.
 */
export const BEHAVIOUR_AXIS: BehaviourSetting[] = [
  { label: 'defaults', settings: {} },
  ...(Object.entries(BEHAVIOURS) as Array<[BehaviourName, BehaviourSpec]>).flatMap(([name, spec]) =>
    Object.keys(spec.variants)
      .filter((v) => v !== spec.default)
      .map((variant) => ({ label: `${name}=${variant}`, settings: { [name]: variant } })),
  ),
  { label: 'pessimistic', settings: 'pessimistic' },
];

export interface CaseResult {
  /** `SUCCEEDED` or `<status> <error>`. */
  outcome: string;
  /** Meetings, and pipelines nobody asked to delete, still active after Chime's idle end. */
  orphans: Left;
  /** The same after the reconciler's next pass (and Chime's idle end after it). */
  afterReconciler: Left;
  /** Pipelines this case asked to delete that AWS kept running (refused, or accepted and ignored). */
  keptRunning: number;
  /** What happened, for a failing assertion's message. */
  diagnostics: Record<string, unknown>;
}

/** Runs one case under one behaviour setting, then leaves the cloud as it found it (faults, behaviours). */
export async function runCase(h: Harness, c: { run: (h: Harness) => Promise<Execution> }, setting: BehaviourSettings = {}): Promise<CaseResult> {
  if (h.cloud.orphans().pipelines + h.cloud.keptRunning() > 0) throw new Error('a matrix case must start with no media pipeline running');
  const previous = h.cloud.useBehaviours(setting);
  try {
    const e = await h.run(() => c.run(h));
    // Skip idle time: retries' backoff, the one-hour safety net, and Chime's five-minute idle end.
    await h.cloud.fastForward(e.done);
    const failures = e.history.filter((x) => x.type.endsWith('Failed')).map((x) => JSON.stringify(x.lambdaFunctionFailedEventDetails ?? x.taskFailedEventDetails ?? x.executionFailedEventDetails));
    const diagnostics = { hits: h.cloud.router.faults.hits(), states: statesEntered(e), failures, behaviours: { ...h.cloud.behaviours } };
    h.cloud.router.faults.clear();
    h.cloud.bus.clearFaults();
    await h.run(async () => {
      await h.cloud.clock.sleep(6 * 60_000);
      await h.cloud.bus.drain();
    });
    const orphans = h.cloud.orphans();
    const keptRunning = h.cloud.keptRunning();
    // The reconciler's next pass (its schedule is off here, so that the count above is the execution's
    // alone), then Chime's idle end for a meeting it left empty.
    const pass = await h.run(async () => {
      const p = await reconcilerPassNow(h);
      await h.cloud.clock.sleep(6 * 60_000);
      await h.cloud.bus.drain();
      return p;
    });
    const result = {
      outcome: e.status === 'SUCCEEDED' || !e.error ? e.status : `${e.status} ${e.error}`,
      orphans,
      afterReconciler: h.cloud.orphans(),
      keptRunning,
      diagnostics: { ...diagnostics, reconciler: pass },
    };
    // The next case starts from nothing: what AWS kept running ends, as it eventually would.
    await h.run(async () => {
      h.cloud.pipelines.endKeptRunning();
      await h.cloud.bus.drain();
    });
    return result;
  } finally {
    h.cloud.router.faults.clear();
    h.cloud.bus.clearFaults();
    h.cloud.useBehaviours(previous);
  }
}

export const RELIABILITY_BEGIN = '<!-- reliability:begin (generated by npm run docs from local/matrix.ts; test/workflow/matrix*.test.ts run every row) -->';
export const RELIABILITY_END = '<!-- reliability:end -->';

/** The README's reliability table: every case, its fault, and the outcome it has under every behaviour setting. */
export function reliabilityTable(): string {
  const left = (c: MatrixCase, what: keyof Left) => {
    const n = (c.left ?? NOTHING_LEFT)[what];
    return n === 0 ? '0' : `${n} → 0`;
  };
  const rows = CASES.map((c) => `| ${c.name} | ${c.fault} | ${c.expected} | ${left(c, 'meetings')} | ${left(c, 'pipelines')} |`);
  return [
    RELIABILITY_BEGIN,
    `Each row runs under ${BEHAVIOUR_AXIS.length} behaviour settings (${BEHAVIOUR_AXIS.map((b) => `\`${b.label}\``).join(', ')}) with the same outcome, and a property test mixes random variants with random faults.`,
    '',
    'Left: meetings, and media pipelines nobody asked to delete, still running after the execution and Chime\'s five-minute idle end, then (`n → 0`) after the reconciler\'s next pass; a row showing `0` had nothing left for the reconciler either.',
    '',
    '| case | fault | outcome | meetings left | pipelines left |',
    '|---|---|---|---|---|',
    ...rows,
    RELIABILITY_END,
  ].join('\n');
}

export const BEHAVIOURS_BEGIN = '<!-- behaviours:begin (generated by npm run docs from local/core/behaviours.ts) -->';
export const BEHAVIOURS_END = '<!-- behaviours:end -->';

/** The README's "What AWS does not document" table. */
export function behavioursTable(): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  const rows = (Object.entries(BEHAVIOURS) as Array<[BehaviourName, BehaviourSpec]>).map(([name, spec]) => {
    const variants = Object.entries(spec.variants)
      .map(([v, what]) => `\`${v}\`${v === spec.default ? ' (default)' : ''}${v === spec.pessimistic ? ' (pessimistic)' : ''}: ${what}`)
      .join('<br>');
    const sources = spec.sources.map((s) => (s.startsWith('http') ? `<${s}>` : s)).join('<br>');
    return `| \`${name}\` | ${cell(spec.question)} | ${cell(variants)} | ${sources} |`;
  });
  return [BEHAVIOURS_BEGIN, '| behaviour | what AWS leaves open | variants | sources |', '|---|---|---|---|', ...rows, BEHAVIOURS_END].join('\n');
}
