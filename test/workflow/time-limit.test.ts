import { ChimeSDKMeetingsClient, CreateMeetingCommand, GetMeetingCommand } from '@aws-sdk/client-chime-sdk-meetings';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { start, startHarness, statesEntered, waitForCapture, type Harness } from '../../local/harness';
import type { Execution } from '../../local/sfn/runner';
import { joinAttendees, meetingIdOf } from '../../local/simulate';

/**
 * maxDurationMinutes on the local cloud: people stay in the meeting and nobody stops the recording, so
 * only the time limit ends it, as POST /recordings/{id}/stop would (a created meeting ends, an adopted
 * one goes on), and the recording goes on to concatenation.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

function stateInput<T>(e: Execution, name: string): T {
  const entered = e.history.find((x) => x.type.endsWith('StateEntered') && (x.stateEnteredEventDetails as { name: string }).name === name);
  if (!entered) throw new Error(`execution ${e.name} never entered ${name}`);
  return JSON.parse((entered.stateEnteredEventDetails as { input: string }).input) as T;
}

async function recordOf(meetingId: string): Promise<Record<string, unknown>> {
  const db = new DynamoDBClient(h.cloud.clientConfig());
  try {
    const out = await db.send(new GetItemCommand({ TableName: h.deployment.tableName, Key: { meetingId: { S: meetingId } }, ConsistentRead: true }));
    return unmarshall(out.Item ?? {});
  } finally {
    db.destroy();
  }
}

/** Starts the recording, lets `people` join once it captures, and runs it to its end. */
async function recordWithPeopleStaying(input: Record<string, unknown>, people: number, meetingId?: string): Promise<{ e: Execution; meetingId: string }> {
  return h.run(async () => {
    const e = await start(h, input);
    const id = meetingId ?? (await meetingIdOf(h.cloud, e)) ?? '';
    await waitForCapture(h, e, 1_000);
    if (!meetingId) await joinAttendees(h.cloud, id, people);
    await e.done;
    await h.cloud.bus.drain();
    return { e, meetingId: id };
  });
}

describe('maxDurationMinutes', () => {
  it('ends a created meeting its people never leave on the limit, not at the next hourly check, and concatenates', async () => {
    // 61 minutes: two waits of 30.5 minutes, so a check falls on the limit (hourly checks would reach 120).
    const { e, meetingId } = await recordWithPeopleStaying({ meeting: {}, capture: { audio: 'AudioOnly' }, maxDurationMinutes: 61 }, 2);
    expect(e.status).toBe('SUCCEEDED');
    expect(statesEntered(e).filter((s) => s === 'AwaitMeetingEnd')).toHaveLength(3);
    const { meetingEnd } = stateInput<{ meetingEnd: { reason: string; endedAt: string } }>(e, 'StartConcatenation');
    expect(meetingEnd.reason).toBe('MaxDurationReached');
    const rec = await recordOf(meetingId);
    expect(rec).toMatchObject({ status: 'SUCCEEDED', endReason: 'MaxDurationReached' });
    const captured = Date.parse(meetingEnd.endedAt) - Date.parse(String(rec.captureStartedAt));
    expect(captured).toBeGreaterThanOrEqual(61 * 60_000 - 5_000);
    expect(captured).toBeLessThan(61 * 60_000 + 60_000);
    expect((JSON.parse(e.output ?? '{}') as { artifacts: string[] }).artifacts.length).toBeGreaterThan(0);
    // The workflow created the meeting, so it ended it, with everyone still in it.
    expect(h.cloud.orphans()).toEqual({ meetings: 0, pipelines: 0 });
  });

  it('stops only the capture of a meeting the application created; the meeting goes on', async () => {
    const chime = new ChimeSDKMeetingsClient(h.cloud.clientConfig());
    try {
      const created = await chime.send(new CreateMeetingCommand({ ClientRequestToken: 'app-time-limit', MediaRegion: 'us-east-1', ExternalMeetingId: 'app-owned-limit' }));
      const meetingId = created.Meeting?.MeetingId ?? '';
      await joinAttendees(h.cloud, meetingId, 1);
      const { e } = await recordWithPeopleStaying({ meetingId, maxDurationMinutes: 2 }, 0, meetingId);
      expect(e.status).toBe('SUCCEEDED');
      expect(stateInput<{ meetingEnd: { reason: string } }>(e, 'StartConcatenation').meetingEnd.reason).toBe('MaxDurationReached');
      expect((await chime.send(new GetMeetingCommand({ MeetingId: meetingId }))).Meeting?.MeetingId).toBe(meetingId);
      expect(h.cloud.pipelines.activePipelines()).toEqual([]);
    } finally {
      chime.destroy();
    }
  });

  it('changes nothing without the option: the meeting-end check stays hourly', async () => {
    const { e } = await recordWithPeopleStaying({ meeting: {}, capture: { audio: 'AudioOnly' } }, 0);
    // Nobody joined: the first hourly re-check ends the empty meeting (not a time limit).
    expect(e.status).toBe('SUCCEEDED');
    expect(stateInput<{ plan: { meetingEndCheckSeconds: number } }>(e, 'AwaitMeetingEnd').plan.meetingEndCheckSeconds).toBe(3600);
    expect(stateInput<{ meetingEnd: { reason: string } }>(e, 'StartConcatenation').meetingEnd.reason).not.toBe('MaxDurationReached');
  });
});
