import { ChimeSDKMeetingsClient, CreateAttendeeCommand } from '@aws-sdk/client-chime-sdk-meetings';
import type { LocalCloud } from './cloud';
import type { Execution } from './sfn/runner';
import type { HistoryEvent } from './sfn/history';

/**
 * The application side of a meeting, for demos, tests and benchmarks: attendees are created through the
 * real CreateAttendee API, join, stay for the meeting's length (simulated time) and leave one by one.
 */
export interface MeetingScript {
  /** Simulated milliseconds from the first join (or from when the capture records: `lengthFrom`) to the last leave. */
  lengthMs: number;
  /**
   * `capture`: people wait until the recording has started (a host who presses record and waits for the
   * indicator), however long the capture takes to start; they leave at once if the recording fails first.
   */
  lengthFrom?: 'first-join' | 'capture';
  attendees: number;
  /** How people leave; 'left' lets the workflow end the meeting at once, 'dropped' leaves it to the safety net. */
  leaveAs?: 'left' | 'dropped';
  onEvent?: (line: string) => void;
}

/**
 * Resolves with the meeting id once the execution's CreateMeeting state has exited with it (undefined if
 * it never does). An exit without it is a caught error: QuotaWait (the state machine waits for the step's
 * turn at Chime and runs it again), or a failure that goes to Cleanup.
 */
export async function meetingIdOf(cloud: LocalCloud, execution: Execution): Promise<string | undefined> {
  const meetingIdIn = (h: HistoryEvent) => (JSON.parse(String((h.stateExitedEventDetails as { output: string }).output)) as { chimeMeeting?: { meetingId: string } }).chimeMeeting?.meetingId;
  const exited = await cloud.stepFunctions.runner.whenHistory(execution, (h) => h.type === 'TaskStateExited' && (h.stateExitedEventDetails as { name: string }).name === 'CreateMeeting' && meetingIdIn(h) !== undefined);
  return exited ? meetingIdIn(exited) : undefined;
}

export async function joinAttendees(cloud: LocalCloud, meetingId: string, count: number, onEvent?: (line: string) => void): Promise<string[]> {
  const chime = new ChimeSDKMeetingsClient(cloud.clientConfig());
  try {
    const ids: string[] = [];
    for (let i = 1; i <= count; i += 1) {
      const attendeeId = await createAttendee(cloud, chime, meetingId, `attendee-${i}`);
      cloud.meetings.join(meetingId, attendeeId, { video: i === 1 });
      ids.push(attendeeId);
      onEvent?.(`attendee-${i} joined`);
    }
    return ids;
  } finally {
    chime.destroy();
  }
}

/** Resolves once the meeting's capture pipeline is InProgress, or the execution has ended. */
function captureRecording(cloud: LocalCloud, execution: Execution, meetingId: string): Promise<void> {
  const recording = () => cloud.pipelines.activePipelines().some((p) => p.kind === 'capture' && p.meetingId === meetingId && p.status === 'InProgress');
  if (recording()) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      cloud.bus.listeners.delete(listen);
      resolve();
    };
    const listen = () => {
      if (recording()) done();
    };
    cloud.bus.listeners.add(listen);
    void execution.done.then(done, done);
  });
}

/**
 * The application shares the account's Chime rate limit with the workflow, so it retries throttled calls
 * with full-jitter backoff, like the SDK does. The backoff runs on the cloud's clock, not the SDK's real
 * timers: with time compressed, real-time backoff would let a meeting idle out before anyone joined.
 */
async function createAttendee(cloud: LocalCloud, chime: ChimeSDKMeetingsClient, meetingId: string, externalUserId: string): Promise<string> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      const out = await chime.send(new CreateAttendeeCommand({ MeetingId: meetingId, ExternalUserId: externalUserId }));
      return out.Attendee?.AttendeeId ?? '';
    } catch (err) {
      const throttled = err instanceof Error && err.name === 'ThrottlingException';
      if (!throttled || attempt >= 30) throw err;
      await cloud.clock.sleep(Math.random() * Math.min(20_000, 100 * 2 ** attempt));
    }
  }
}

/**
 * Plays a meeting for an execution that creates its meeting. It never rejects: when the workflow fails
 * and cleans up, the meeting disappears under the simulation, which then simply stops.
 */
export async function simulateMeeting(cloud: LocalCloud, execution: Execution, script: MeetingScript): Promise<void> {
  try {
    await play(cloud, execution, script);
  } catch (err) {
    const gone = err instanceof Error && err.name === 'NotFoundException';
    if (!gone) throw err;
    script.onEvent?.('the meeting is gone; the simulation stops');
  }
}

async function play(cloud: LocalCloud, execution: Execution, script: MeetingScript): Promise<void> {
  const meetingId = await meetingIdOf(cloud, execution);
  if (!meetingId) return;
  const people = await joinAttendees(cloud, meetingId, script.attendees, script.onEvent);
  if (script.lengthFrom === 'capture') await captureRecording(cloud, execution, meetingId);
  const gap = Math.min(1000, script.lengthMs / Math.max(1, people.length));
  for (const [i, attendeeId] of people.entries()) {
    await cloud.clock.sleep(i === 0 ? script.lengthMs - gap * (people.length - 1) : gap);
    if (execution.status !== 'RUNNING') return;
    cloud.meetings.leave(meetingId, attendeeId, script.leaveAs ?? 'left');
    script.onEvent?.(`attendee-${i + 1} ${script.leaveAs ?? 'left'}${i === people.length - 1 ? ' (only the capture pipeline remains)' : ''}`);
  }
}
