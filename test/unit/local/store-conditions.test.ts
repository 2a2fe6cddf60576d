import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LocalCloud } from '../../../local/cloud';
import { claimMeeting, getRecord, markMeetingEnded, recordPresence, updateRecord, type RecordingStatus, type RecordingStore } from '../../../functions/lib/store';

/**
 * The store's conditional writes as DynamoDB evaluates them (dynalite, through the local cloud): who
 * may claim a meeting, which attendee events apply, which meeting-end marks count. The functions' unit
 * tests mock the table, so only this checks the condition expressions themselves.
 */
let cloud: LocalCloud;
let dataDir: string;
let store: RecordingStore;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-conditions-'));
  cloud = await LocalCloud.start({ port: 0, dataDir });
  const { tableName } = await cloud.deploy();
  store = { db: new DynamoDBClient(cloud.clientConfig()), table: tableName };
});

afterAll(async () => {
  store.db.destroy();
  await cloud.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

let n = 0;
async function recording(status: RecordingStatus, presence: Record<string, { present: boolean; at: number }> = {}): Promise<string> {
  const meetingId = `m-${++n}`;
  await claimMeeting(store, { meetingId, executionId: 'exec-1', executionName: 'rec-1', createdMeeting: true, mediaRegion: 'us-east-1', presence });
  if (status !== 'RECORDING') await updateRecord(store, meetingId, 'exec-1', { status });
  return meetingId;
}

describe('recordPresence', () => {
  it.each([
    ['no earlier event', true, undefined, true, 10],
    ['an older event', true, { present: true, at: 5 }, false, 10],
    ['the same event again (a retried delivery)', true, { present: false, at: 10 }, false, 10],
    ['another event at the same time', false, { present: true, at: 10 }, false, 10],
    ['a newer event', false, { present: false, at: 20 }, true, 10],
  ] as const)('after %s: applied = %s', async (_, applied, earlier, present, at) => {
    const meetingId = await recording('RECORDING', earlier ? { a1: earlier } : {});
    const rec = await recordPresence(store, meetingId, 'a1', present, at);
    expect(rec !== undefined).toBe(applied);
    expect((await getRecord(store, meetingId))?.presence.a1).toEqual(applied ? { present, at } : earlier);
  });

  it.each([
    ['CONCATENATING', true],
    ['SUCCEEDED', false],
    ['FAILED', false],
  ] as const)('applies while the recording is %s: %s (first event, newer event, same event again)', async (status, applied) => {
    const first = await recording(status);
    expect((await recordPresence(store, first, 'a1', true, 1)) !== undefined).toBe(applied);
    const newer = await recording(status, { a1: { present: true, at: 1 } });
    expect((await recordPresence(store, newer, 'a1', false, 2)) !== undefined).toBe(applied);
    const again = await recording(status, { a1: { present: true, at: 1 } });
    expect((await recordPresence(store, again, 'a1', true, 1)) !== undefined).toBe(applied);
  });

  it('does not create an item for a meeting nobody records', async () => {
    expect(await recordPresence(store, 'not-recorded', 'a1', true, 1)).toBeUndefined();
    expect(await getRecord(store, 'not-recorded')).toBeUndefined();
  });
});

describe('claimMeeting', () => {
  it.each([
    ['RECORDING', false],
    ['CONCATENATING', false],
    ['SUCCEEDED', true],
    ['FAILED', true],
  ] as const)('over a recording that is %s by another execution: claimed = %s', async (status, claimed) => {
    const meetingId = await recording(status);
    const claim = claimMeeting(store, { meetingId, executionId: 'exec-2', executionName: 'rec-2', createdMeeting: false, mediaRegion: 'us-east-1', presence: {} });
    if (claimed) await expect(claim).resolves.toBeUndefined();
    else await expect(claim).rejects.toMatchObject({ name: 'RecordingAlreadyActive' });
    expect((await getRecord(store, meetingId))?.executionId).toBe(claimed ? 'exec-2' : 'exec-1');
  });
});

describe('markMeetingEnded', () => {
  it('keeps the first end, its reason and how it was learnt; refuses a finished or unknown recording', async () => {
    const meetingId = await recording('RECORDING');
    expect(await markMeetingEnded(store, meetingId, 'MeetingEnded', '2026-01-01T00:00:00.000Z', 'event')).toMatchObject({ meetingEndedAt: '2026-01-01T00:00:00.000Z', endReason: 'MeetingEnded', endFoundBy: 'event' });
    expect(await markMeetingEnded(store, meetingId, 'CapturePipelineDeleted', '2026-01-01T00:00:05.000Z', 'check')).toMatchObject({ meetingEndedAt: '2026-01-01T00:00:00.000Z', endReason: 'MeetingEnded', endFoundBy: 'event' });
    expect(await markMeetingEnded(store, await recording('SUCCEEDED'), 'MeetingEnded', '2026-01-01T00:00:00.000Z', 'event')).toBeUndefined();
    expect(await markMeetingEnded(store, 'not-recorded', 'MeetingEnded', '2026-01-01T00:00:00.000Z', 'event')).toBeUndefined();
  });
});
