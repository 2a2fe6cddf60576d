import { ChimeSDKMeetingsClient, CreateAttendeeCommand } from '@aws-sdk/client-chime-sdk-meetings';
import type { LocalCloud } from './cloud';
import type { Execution } from './sfn/runner';

/**
 * The application side of a meeting, for demos, tests and benchmarks: attendees are created through the
 * real CreateAttendee API, join, stay for the meeting's length (simulated time) and leave one by one.
 */
export interface MeetingScript {
  /** Simulated milliseconds from the first join to the last leave. */
  lengthMs: number;
  attendees: number;
  /** How people leave; 'left' lets the workflow end the meeting at once, 'dropped' leaves it to the safety net. */
  leaveAs?: 'left' | 'dropped';
  onEvent?: (line: string) => void;
}

/** Resolves with the meeting id once the execution's CreateMeeting state has exited (undefined if it never does). */
export function meetingIdOf(execution: Execution): Promise<string | undefined> {
  return new Promise((resolve) => {
    const check = () => {
      const exited = execution.history.find((h) => h.type === 'TaskStateExited' && (h.stateExitedEventDetails as { name: string }).name === 'CreateMeeting');
      if (exited) {
        const state = JSON.parse(String((exited.stateExitedEventDetails as { output: string }).output)) as { chimeMeeting?: { meetingId: string } };
        return resolve(state.chimeMeeting?.meetingId);
      }
      if (execution.status !== 'RUNNING') return resolve(undefined);
      setTimeout(check, 2);
    };
    check();
  });
}

export async function joinAttendees(cloud: LocalCloud, meetingId: string, count: number, onEvent?: (line: string) => void): Promise<string[]> {
  const chime = new ChimeSDKMeetingsClient({ ...cloud.clientConfig(), maxAttempts: 8 });
  try {
    const ids: string[] = [];
    for (let i = 1; i <= count; i += 1) {
      const out = await chime.send(new CreateAttendeeCommand({ MeetingId: meetingId, ExternalUserId: `attendee-${i}` }));
      const attendeeId = out.Attendee?.AttendeeId ?? '';
      cloud.meetings.join(meetingId, attendeeId, { video: i === 1 });
      ids.push(attendeeId);
      onEvent?.(`attendee-${i} joined`);
    }
    return ids;
  } finally {
    chime.destroy();
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
  const meetingId = await meetingIdOf(execution);
  if (!meetingId) return;
  const people = await joinAttendees(cloud, meetingId, script.attendees, script.onEvent);
  const gap = Math.min(1000, script.lengthMs / Math.max(1, people.length));
  for (const [i, attendeeId] of people.entries()) {
    await cloud.clock.sleep(i === 0 ? script.lengthMs - gap * (people.length - 1) : gap);
    if (execution.status !== 'RUNNING') return;
    cloud.meetings.leave(meetingId, attendeeId, script.leaveAs ?? 'left');
    script.onEvent?.(`attendee-${i + 1} ${script.leaveAs ?? 'left'}${i === people.length - 1 ? ' (only the capture pipeline remains)' : ''}`);
  }
}
