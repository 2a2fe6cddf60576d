import { mockClient } from 'aws-sdk-client-mock';
import { ChimeSDKMeetingsClient, CreateMeetingCommand } from '@aws-sdk/client-chime-sdk-meetings';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { failure } from '../../fixtures/async';
import { MEETING_ID, meetingRef, plan, roleRef, serviceLinkedRole } from '../../fixtures/plans';

/**
 * CreateMeeting's turn in Chime's request budget (functions/lib/quota.ts) with the budget on, as the
 * stack deploys it: EnsureServiceLinkedRole reserves it and CreateMeeting spends it. The handlers read the
 * budget from their environment when loaded, so it is set before they are required (no module isolation:
 * the SDK clients must stay the ones mocked here).
 */
process.env.CHIME_REQUEST_RATE = '9';
process.env.CHIME_REQUEST_BURST = '20';
process.env.ACCOUNT_ID = '123456789012';
process.env.PARTITION = 'aws';
type Handler = (event: unknown, context: unknown) => Promise<Record<string, unknown>>;
const { handler: ensureServiceLinkedRole } = require('../../../functions/ensure-service-linked-role/handler') as { handler: Handler };
const { handler: createMeeting } = require('../../../functions/create-meeting/handler') as { handler: Handler };

const meetings = mockClient(ChimeSDKMeetingsClient);
const db = mockClient(DynamoDBClient);
const iam = mockClient(IAMClient);
const ctx = (remainingMs: number) => ({ awsRequestId: 'r', functionName: 'f', getRemainingTimeInMillis: () => remainingMs });
const role = serviceLinkedRole;

/** The budget's item as DynamoDB keeps it: the busy form (tat >= now) answers the old tat (UPDATED_OLD). Answers the log of calls. */
function budgetItem(): string[] {
  const order: string[] = [];
  let tat = 0;
  db.on(UpdateItemCommand).callsFake((input: { Key: { meetingId: { S: string } }; ReturnValues?: string; ExpressionAttributeValues: Record<string, { N: string }> }) => {
    order.push(`UpdateItem ${input.Key.meetingId.S}`);
    const old = tat;
    const values = input.ExpressionAttributeValues;
    tat = values[':next'] ? Number(values[':next'].N) : old + Number(values[':interval']!.N);
    return input.ReturnValues === 'UPDATED_OLD' ? { Attributes: { tat: { N: String(old) } } } : {};
  });
  return order;
}

beforeEach(() => {
  for (const m of [meetings, db, iam]) m.reset();
});

it('EnsureServiceLinkedRole reserves the turn before any IAM call, one slot per Meetings call (two for an adopted meeting), and hands it on', async () => {
  const order = budgetItem();
  iam.on(GetRoleCommand).callsFake(() => {
    order.push('GetRole');
    return { Role: role };
  });
  const before = Date.now();
  const out = await ensureServiceLinkedRole({ executionName: 'rec-1', mode: 'create' }, ctx(60_000));
  expect(order).toEqual(['UpdateItem quota#meetings', 'GetRole']);
  expect(out).toMatchObject({ roleArn: role.Arn, fresh: false, quotaWait: { step: 'CreateMeeting', cause: { errorMessage: expect.any(String) } } });
  // An idle budget: the slot is now.
  const slot = Date.parse((out.quotaWait as { cause: { errorMessage: string } }).cause.errorMessage);
  expect(slot).toBeGreaterThanOrEqual(before);
  expect(slot).toBeLessThanOrEqual(Date.now());

  order.length = 0;
  await ensureServiceLinkedRole({ executionName: 'rec-2', mode: 'adopt' }, ctx(60_000));
  expect(order).toEqual(['UpdateItem quota#meetings', 'UpdateItem quota#meetings', 'GetRole']);
});

it('CreateMeeting waits for the turn EnsureServiceLinkedRole reserved, reserving none of its own', async () => {
  // A slot further off than the Lambda may wait: the state machine waits for it (QuotaWait, the slot's second).
  const slot = new Date(Date.now() + 120_000);
  const reserved = { ...roleRef, quotaWait: { step: 'CreateMeeting', cause: { errorMessage: slot.toISOString() } } };
  const err = await failure(createMeeting({ plan: plan(), role: reserved }, ctx(60_000)));
  expect(err.name).toBe('QuotaWait');
  expect(Date.parse(err.message)).toBe(Math.ceil(slot.getTime() / 1000) * 1000);
  expect(db.commandCalls(UpdateItemCommand)).toHaveLength(0);
  expect(meetings.commandCalls(CreateMeetingCommand)).toHaveLength(0);

  // Its slot is now: it calls Chime at once, still reserving nothing.
  meetings.on(CreateMeetingCommand).resolves({ Meeting: { MeetingId: MEETING_ID, MeetingArn: meetingRef.meetingArn, MediaRegion: 'us-east-1' } });
  db.on(PutItemCommand).resolves({});
  const due = { ...roleRef, quotaWait: { step: 'CreateMeeting', cause: { errorMessage: new Date().toISOString() } } };
  expect(await createMeeting({ plan: plan(), role: due }, ctx(60_000))).toEqual(meetingRef);
  expect(db.commandCalls(UpdateItemCommand)).toHaveLength(0);
  expect(meetings.commandCalls(CreateMeetingCommand)).toHaveLength(1);
});

it("CreateMeeting prefers the slot the state machine carried back after a QuotaWait (plan.quotaWait) to the role's", async () => {
  const later = new Date(Date.now() + 120_000).toISOString();
  const role2 = { ...roleRef, quotaWait: { step: 'CreateMeeting', cause: { errorMessage: new Date().toISOString() } } };
  const err = await failure(createMeeting({ plan: { ...plan(), quotaWait: { step: 'CreateMeeting', cause: { errorMessage: later } } }, role: role2 }, ctx(60_000)));
  expect(err.name).toBe('QuotaWait');
  expect(meetings.commandCalls(CreateMeetingCommand)).toHaveLength(0);
});

it("EnsureServiceLinkedRole reserves nothing on a retry ($$.State.RetryCount > 0): the first attempt's slot is the only one a recording can leave unused", async () => {
  iam.on(GetRoleCommand).resolves({ Role: role });
  budgetItem();
  const out = await ensureServiceLinkedRole({ executionName: 'rec-1', mode: 'create', retryCount: 1 }, ctx(60_000));
  expect(out).toEqual({ roleArn: role.Arn, createdAt: '2026-11-23T10:00:00.000Z', fresh: false });
  expect(db.commandCalls(UpdateItemCommand)).toHaveLength(0);
});

it('an execution started under the earlier definition (no mode for EnsureServiceLinkedRole, no role for CreateMeeting) still records: CreateMeeting reserves its own turn', async () => {
  iam.on(GetRoleCommand).resolves({ Role: role });
  budgetItem();
  db.on(PutItemCommand).resolves({});
  meetings.on(CreateMeetingCommand).resolves({ Meeting: { MeetingId: MEETING_ID, MeetingArn: meetingRef.meetingArn, MediaRegion: 'us-east-1' } });
  expect(await ensureServiceLinkedRole({ executionName: 'rec-1' }, ctx(60_000))).toEqual({ roleArn: role.Arn, createdAt: '2026-11-23T10:00:00.000Z', fresh: false });
  expect(db.commandCalls(UpdateItemCommand)).toHaveLength(0);
  expect(await createMeeting({ plan: plan() }, ctx(60_000))).toEqual(meetingRef);
  expect(db.commandCalls(UpdateItemCommand).map((c) => c.args[0].input.Key)).toEqual([{ meetingId: { S: 'quota#meetings' } }]);
});
