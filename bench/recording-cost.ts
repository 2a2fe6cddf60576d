import '../local/quiet';
import type { Execution } from '../local/sfn/runner';
import { record, startHarness, statesEntered, type Harness } from '../local/harness';
import { reportToParent, runInChild } from './child';
import { round } from './stats';

/**
 * What one recording costs on AWS, counted on the local cloud: state transitions (what Standard workflows
 * bill: states entered plus retries), Lambda invocations the state machine makes, and EventBridge
 * deliveries to the event handler, for a one-minute and a four-hour meeting.
 */
export const USD_PER_TRANSITION = 0.025 / 1000;

export interface RecordingCost {
  meetingMinutes: number;
  status: string;
  transitions: number;
  /** Lambdas the state machine invokes (Task states, retries included). */
  workflowInvocations: number;
  /** EventBridge deliveries to the event-handler functions; they follow attendee joins and leaves. */
  eventInvocations: number;
  totalInvocations: number;
  stepFunctionsUsd: number;
  /**
   * Re-entries of the two waits after their first entry: the re-checks for lost events (AwaitMeetingEnd
   * hourly, AwaitConcatenation every 10 minutes). Each is one transition and one invocation.
   */
  safetyNetChecks: number;
}

export interface CostGrowth {
  extraHours: number;
  transitions: number;
  workflowInvocations: number;
  eventInvocations: number;
  /** The growth split: the lost-event safety net (1 transition + 1 invocation per re-check), and the rest. */
  safetyNet: { transitions: number; invocations: number };
  other: { transitions: number; invocations: number };
  perExtraHour: { transitions: number; workflowInvocations: number; stepFunctionsUsd: number };
}

export interface RecordingCostResult {
  oneMinute: RecordingCost;
  fourHours: RecordingCost;
  growth: CostGrowth;
}

/** The two waits: each loops on itself (one state) when its TimeoutSeconds passes without an event. */
const WAIT_STATES = ['AwaitMeetingEnd', 'AwaitConcatenation'];

export function measureRecordingCost(): Promise<RecordingCostResult> {
  return runInChild<RecordingCostResult>(__filename);
}

async function run(): Promise<RecordingCostResult> {
  // Counts do not depend on pace: on virtual time a four-hour meeting costs what its events cost.
  const h = await startHarness();
  try {
    const oneMinute = await recordOne(h, 1);
    const fourHours = await recordOne(h, 240);
    return { oneMinute, fourHours, growth: growth(oneMinute, fourHours) };
  } finally {
    await h.close();
  }
}

async function recordOne(h: Harness, meetingMinutes: number): Promise<RecordingCost> {
  const eventHandlers = [...h.cloud.lambda.specs.values()].filter((s) => s.eventRules.length > 0).map((s) => s.name);
  const eventCount = () => eventHandlers.reduce((n, name) => n + h.cloud.lambda.count(name), 0);
  const before = eventCount();
  const e = await record(h, { meeting: {} }, { lengthMs: meetingMinutes * 60_000, attendees: 2 });
  const eventInvocations = eventCount() - before;
  return {
    meetingMinutes,
    status: e.status,
    transitions: e.transitions,
    workflowInvocations: e.lambdaInvocations,
    eventInvocations,
    totalInvocations: e.lambdaInvocations + eventInvocations,
    stepFunctionsUsd: round(e.transitions * USD_PER_TRANSITION, 6),
    safetyNetChecks: WAIT_STATES.reduce((n, state) => n + Math.max(0, entries(e, state) - 1), 0),
  };
}

function growth(short: RecordingCost, long: RecordingCost): CostGrowth {
  const extraHours = (long.meetingMinutes - short.meetingMinutes) / 60;
  const transitions = long.transitions - short.transitions;
  const workflowInvocations = long.workflowInvocations - short.workflowInvocations;
  const checks = long.safetyNetChecks - short.safetyNetChecks;
  const safetyNet = { transitions: checks, invocations: checks };
  return {
    extraHours: round(extraHours),
    transitions,
    workflowInvocations,
    eventInvocations: long.eventInvocations - short.eventInvocations,
    safetyNet,
    other: { transitions: transitions - safetyNet.transitions, invocations: workflowInvocations - checks },
    perExtraHour: {
      transitions: round(transitions / extraHours),
      workflowInvocations: round(workflowInvocations / extraHours),
      stepFunctionsUsd: round((transitions * USD_PER_TRANSITION) / extraHours, 6),
    },
  };
}

function entries(e: Execution, state: string): number {
  return statesEntered(e).filter((s) => s === state).length;
}

if (require.main === module) reportToParent(run);
