import fs from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import {
  BatchCreateAttendeeCommand,
  ChimeSDKMeetingsClient,
  CreateAttendeeCommand,
  CreateMeetingCommand,
  CreateMeetingWithAttendeesCommand,
  DeleteAttendeeCommand,
  DeleteMeetingCommand,
  GetAttendeeCommand,
  GetMeetingCommand,
  ListAttendeesCommand,
  ListTagsForResourceCommand,
  type CreateMeetingCommandInput,
} from '@aws-sdk/client-chime-sdk-meetings';
import { EventBus, type BusEvent } from '../../../local/core/bus';
import { resolveBehaviours } from '../../../local/core/behaviours';
import { SimClock } from '../../../local/core/clock';
import type { CloudContext } from '../../../local/core/context';
import { Router, listen } from '../../../local/core/server';
import { IDLE_END_MS, MAX_MEETING_MS, MeetingsService } from '../../../local/services/meetings';
import { closeServer, failure } from '../../fixtures/async';

const ACCOUNT = '123456789012';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Cloud {
  clock: SimClock;
  meetings: MeetingsService;
  events: BusEvent[];
  client: (region?: string) => ChimeSDKMeetingsClient;
  close: () => Promise<void>;
}

async function startCloud(): Promise<Cloud> {
  const clock = new SimClock('virtual');
  const bus = new EventBus(clock, ACCOUNT, 'us-east-1');
  const events: BusEvent[] = [];
  bus.listeners.add((e) => events.push(e));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'meetings-test-'));
  const ctx: CloudContext = { clock, bus, account: ACCOUNT, region: 'us-east-1', dataDir, behaviours: resolveBehaviours() };
  const meetings = new MeetingsService(ctx);
  const router = new Router('us-east-1', clock);
  router.register(meetings);
  const { server, port } = await listen(router, 0, 'us-east-1');
  const clients: ChimeSDKMeetingsClient[] = [];
  const client = (region = 'us-east-1') => {
    const c = new ChimeSDKMeetingsClient({ endpoint: `http://127.0.0.1:${port}`, region, credentials: { accessKeyId: 'AKID', secretAccessKey: 'x' }, maxAttempts: 1 });
    clients.push(c);
    return c;
  };
  return {
    clock,
    meetings,
    events,
    client,
    close: async () => {
      for (const c of clients) c.destroy();
      await closeServer(server);
      await router.close();
      clock.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}




function typesOf(events: BusEvent[], meetingId: string): string[] {
  return events.filter((e) => e.detail.meetingId === meetingId).map((e) => String(e.detail.eventType));
}

let token = 0;
function meetingInput(overrides: Partial<CreateMeetingCommandInput> = {}): CreateMeetingCommandInput {
  token += 1;
  return { ClientRequestToken: `token-${token}-${Date.now()}`, MediaRegion: 'us-east-1', ExternalMeetingId: `meeting-${token}`, ...overrides };
}

describe('Chime SDK Meetings emulator', () => {
  let cloud: Cloud;
  let chime: ChimeSDKMeetingsClient;

  beforeAll(async () => {
    cloud = await startCloud();
    chime = cloud.client();
  });
  afterAll(() => cloud.close());

  async function createMeeting(overrides: Partial<CreateMeetingCommandInput> = {}) {
    const out = await chime.send(new CreateMeetingCommand(meetingInput(overrides)));
    return out.Meeting!;
  }

  describe('ListTagsForResource', () => {
    it('answers the tags given to CreateMeeting, none for a meeting made without, and ResourceNotFoundException once it ended', async () => {
      const tagged = await createMeeting({ Tags: [{ Key: 'chime-recording:stack', Value: 'chime-recording-dev' }] });
      const plain = await createMeeting();
      const tags = (arn: string) => chime.send(new ListTagsForResourceCommand({ ResourceARN: arn }));
      expect((await tags(tagged.MeetingArn!)).Tags).toEqual([{ Key: 'chime-recording:stack', Value: 'chime-recording-dev' }]);
      expect((await tags(plain.MeetingArn!)).Tags).toEqual([]);
      await chime.send(new DeleteMeetingCommand({ MeetingId: tagged.MeetingId! }));
      // The model's error for this operation (botocore chime-sdk-meetings ListTagsForResource errors).
      const err = await failure(tags(tagged.MeetingArn!));
      expect(err.name).toBe('ResourceNotFoundException');
    });
  });

  describe('CreateMeeting', () => {
    it('returns a meeting with id, ARN, region, media placement and echoed features', async () => {
      const out = await chime.send(
        new CreateMeetingCommand(meetingInput({ MediaRegion: 'eu-west-2', ExternalMeetingId: 'weekly sync', MeetingFeatures: { Audio: { EchoReduction: 'AVAILABLE' } }, TenantIds: ['tenant-1'] })),
      );
      expect(out.$metadata.httpStatusCode).toBe(200);
      const m = out.Meeting!;
      expect(m.MeetingId).toMatch(GUID);
      expect(m.MeetingArn).toBe(`arn:aws:chime:us-east-1:${ACCOUNT}:meeting/${m.MeetingId}`);
      expect(m).toMatchObject({ ExternalMeetingId: 'weekly sync', MediaRegion: 'eu-west-2', MeetingFeatures: { Audio: { EchoReduction: 'AVAILABLE' } }, TenantIds: ['tenant-1'] });
      expect(m.MediaPlacement?.SignalingUrl).toMatch(new RegExp(`^wss://.*\\.ew2\\..*/control/${m.MeetingId}$`));
      expect(m.MediaPlacement?.AudioHostUrl).toMatch(/:3478$/);
      expect(m.MediaPlacement?.TurnControlUrl).toContain('eu-west-2');
    });

    it('returns the same meeting for the same ClientRequestToken, and refuses the token for another request', async () => {
      const input = meetingInput();
      const first = await chime.send(new CreateMeetingCommand(input));
      const again = await chime.send(new CreateMeetingCommand(input));
      expect(again.Meeting?.MeetingId).toBe(first.Meeting?.MeetingId);
      expect(cloud.meetings.activeMeetings().filter((m) => m.meetingId === first.Meeting?.MeetingId)).toHaveLength(1);
      const err = await failure(chime.send(new CreateMeetingCommand({ ...input, ExternalMeetingId: 'something-else' })));
      expect(err).toMatchObject({ name: 'ConflictException', status: 409 });
    });

    it.each([
      ['MediaRegion', { MediaRegion: 'moon-1' }],
      ['ExternalMeetingId', { ExternalMeetingId: 'x' }],
      ['ExternalMeetingId', { ExternalMeetingId: 'y'.repeat(65) }],
      ['ExternalMeetingId', { ExternalMeetingId: 'aws:reserved' }],
      ['ExternalMeetingId', { ExternalMeetingId: 'AWS:reserved' }],
      ['ClientRequestToken', { ClientRequestToken: 'not a token!' }],
      ['Tags', { Tags: Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' })) }],
      ['Tags[0].Key', { Tags: [{ Key: 'aws:owner', Value: 'v' }] }],
      ['TenantIds', { TenantIds: [] }],
      ['TenantIds[0]', { TenantIds: ['aaaa-bad'] }],
      ['MeetingFeatures.Attendee.MaxCount', { MeetingFeatures: { Attendee: { MaxCount: 251 } } }],
      ['MeetingFeatures.Video.MaxResolution', { MeetingFeatures: { Video: { MaxResolution: '8K' as 'HD' } } }],
      ['NotificationsConfiguration.SnsTopicArn', { NotificationsConfiguration: { SnsTopicArn: 'topic' } }],
      ['PrimaryMeetingId', { PrimaryMeetingId: '00000000-0000-0000-0000-000000000000' }],
    ])('refuses an invalid %s with BadRequestException naming it', async (field, overrides) => {
      const err = await failure(chime.send(new CreateMeetingCommand(meetingInput(overrides as Partial<CreateMeetingCommandInput>))));
      expect(err).toMatchObject({ name: 'BadRequestException', status: 400 });
      expect(err.message).toContain(field);
    });

    it('creates a meeting with attendees, reporting reserved ExternalUserIds per attendee', async () => {
      const out = await chime.send(
        new CreateMeetingWithAttendeesCommand({ ...meetingInput(), Attendees: [{ ExternalUserId: 'alice' }, { ExternalUserId: 'aws:MediaPipeline-x' }] }),
      );
      expect(out.Meeting?.MeetingId).toMatch(GUID);
      expect(out.Attendees?.map((a) => a.ExternalUserId)).toEqual(['alice']);
      expect(out.Errors).toEqual([expect.objectContaining({ ExternalUserId: 'aws:MediaPipeline-x', ErrorCode: 'BadRequest' })]);
    });
  });

  describe('GetMeeting / DeleteMeeting', () => {
    it('gets an active meeting; unknown ids are NotFound, malformed ids BadRequest', async () => {
      const m = await createMeeting();
      const got = await chime.send(new GetMeetingCommand({ MeetingId: m.MeetingId }));
      expect(got.Meeting).toEqual(m);
      expect(await failure(chime.send(new GetMeetingCommand({ MeetingId: '6c0f5c4e-1111-4222-8333-444455556666' })))).toMatchObject({ name: 'NotFoundException', status: 404 });
      expect(await failure(chime.send(new GetMeetingCommand({ MeetingId: 'not-a-guid' })))).toMatchObject({ name: 'BadRequestException', status: 400 });
    });

    it('keeps meetings to the control region that created them', async () => {
      const m = await createMeeting();
      const west = cloud.client('us-west-2');
      expect(await failure(west.send(new GetMeetingCommand({ MeetingId: m.MeetingId })))).toMatchObject({ name: 'NotFoundException' });
    });

    it('DeleteMeeting returns 204, ends the meeting after its end listeners ran, and publishes MeetingEnded', async () => {
      const m = await createMeeting();
      const seen: string[] = [];
      cloud.meetings.onMeetingEnded((id) => {
        if (id === m.MeetingId) seen.push(`listener saw ${typesOf(cloud.events, id).includes('chime:MeetingEnded') ? 'after' : 'before'} MeetingEnded`);
      });
      const out = await chime.send(new DeleteMeetingCommand({ MeetingId: m.MeetingId }));
      expect(out.$metadata.httpStatusCode).toBe(204);
      expect(seen).toEqual(['listener saw before MeetingEnded']);
      expect(typesOf(cloud.events, m.MeetingId!)).toContain('chime:MeetingEnded');
      const ended = cloud.events.find((e) => e.detail.meetingId === m.MeetingId && e.detail.eventType === 'chime:MeetingEnded')!;
      expect(ended).toMatchObject({ source: 'aws.chime', 'detail-type': 'Chime Meeting State Change' });
      expect(ended.detail).toMatchObject({ version: '0', externalMeetingId: m.ExternalMeetingId, mediaRegion: 'us-east-1', timestamp: expect.any(Number) });
      expect(await failure(chime.send(new GetMeetingCommand({ MeetingId: m.MeetingId })))).toMatchObject({ name: 'NotFoundException', status: 404 });
      expect(await failure(chime.send(new DeleteMeetingCommand({ MeetingId: m.MeetingId })))).toMatchObject({ name: 'NotFoundException', status: 404 });
      expect(await failure(chime.send(new CreateAttendeeCommand({ MeetingId: m.MeetingId, ExternalUserId: 'late' })))).toMatchObject({ name: 'NotFoundException' });
    });
  });

  describe('attendees', () => {
    it('creates an attendee with a join token and default capabilities; the ExternalUserId is idempotent', async () => {
      const m = await createMeeting();
      const out = await chime.send(new CreateAttendeeCommand({ MeetingId: m.MeetingId, ExternalUserId: 'alice' }));
      const a = out.Attendee!;
      expect(a.AttendeeId).toMatch(GUID);
      expect(a.JoinToken!.length).toBeGreaterThan(20);
      expect(a.Capabilities).toEqual({ Audio: 'SendReceive', Video: 'SendReceive', Content: 'SendReceive' });
      const again = await chime.send(new CreateAttendeeCommand({ MeetingId: m.MeetingId, ExternalUserId: 'alice' }));
      expect(again.Attendee?.AttendeeId).toBe(a.AttendeeId);
      expect(typesOf(cloud.events, m.MeetingId!)).toEqual(['chime:AttendeeAdded']);
      const got = await chime.send(new GetAttendeeCommand({ MeetingId: m.MeetingId, AttendeeId: a.AttendeeId }));
      expect(got.Attendee).toEqual(a);
    });

    it.each([
      ['ExternalUserId', { ExternalUserId: 'a' }],
      ['ExternalUserId', { ExternalUserId: 'aws:MediaPipeline-abc' }],
      ['Capabilities.Content', { ExternalUserId: 'bob', Capabilities: { Audio: 'SendReceive', Video: 'None', Content: 'SendReceive' } }],
      ['Capabilities.Video', { ExternalUserId: 'bob', Capabilities: { Audio: 'SendReceive', Video: 'Everything', Content: 'None' } }],
    ])('refuses an invalid %s with BadRequestException naming it', async (field, input) => {
      const m = await createMeeting();
      const err = await failure(chime.send(new CreateAttendeeCommand({ MeetingId: m.MeetingId, ...(input as { ExternalUserId: string }) })));
      expect(err).toMatchObject({ name: 'BadRequestException', status: 400 });
      expect(err.message).toContain(field);
    });

    it('applies MeetingFeatures to capabilities', async () => {
      const m = await createMeeting({ MeetingFeatures: { Video: { MaxResolution: 'None' }, Content: { MaxResolution: 'None' } } });
      const out = await chime.send(new CreateAttendeeCommand({ MeetingId: m.MeetingId, ExternalUserId: 'viewer' }));
      expect(out.Attendee?.Capabilities).toEqual({ Audio: 'SendReceive', Video: 'None', Content: 'None' });
      const err = await failure(
        chime.send(new CreateAttendeeCommand({ MeetingId: m.MeetingId, ExternalUserId: 'camera', Capabilities: { Audio: 'SendReceive', Video: 'Send', Content: 'None' } })),
      );
      expect(err).toMatchObject({ name: 'BadRequestException' });
    });

    it('enforces MeetingFeatures.Attendee.MaxCount with LimitExceededException', async () => {
      const m = await createMeeting({ MeetingFeatures: { Attendee: { MaxCount: 1 } } });
      await chime.send(new CreateAttendeeCommand({ MeetingId: m.MeetingId, ExternalUserId: 'only-one' }));
      expect(await failure(chime.send(new CreateAttendeeCommand({ MeetingId: m.MeetingId, ExternalUserId: 'second' })))).toMatchObject({ name: 'LimitExceededException', status: 400 });
      const batch = await chime.send(new BatchCreateAttendeeCommand({ MeetingId: m.MeetingId, Attendees: [{ ExternalUserId: 'only-one' }, { ExternalUserId: 'third' }] }));
      expect(batch.Attendees?.map((a) => a.ExternalUserId)).toEqual(['only-one']);
      expect(batch.Errors).toEqual([expect.objectContaining({ ExternalUserId: 'third', ErrorCode: 'LimitExceeded' })]);
    });

    it('lists attendees with max-results / next-token pagination', async () => {
      const m = await createMeeting();
      const batch = await chime.send(new BatchCreateAttendeeCommand({ MeetingId: m.MeetingId, Attendees: ['a1', 'a2', 'a3', 'a4', 'a5'].map((ExternalUserId) => ({ ExternalUserId })) }));
      expect(batch.Attendees).toHaveLength(5);
      const seen: string[] = [];
      let nextToken: string | undefined;
      let pages = 0;
      do {
        const out = await chime.send(new ListAttendeesCommand({ MeetingId: m.MeetingId, MaxResults: 2, NextToken: nextToken }));
        expect(out.Attendees!.length).toBeLessThanOrEqual(2);
        seen.push(...out.Attendees!.map((a) => a.ExternalUserId!));
        nextToken = out.NextToken;
        pages += 1;
      } while (nextToken);
      expect(pages).toBe(3);
      expect(seen).toEqual(['a1', 'a2', 'a3', 'a4', 'a5']);
      expect(await failure(chime.send(new ListAttendeesCommand({ MeetingId: m.MeetingId, NextToken: 'garbage' })))).toMatchObject({ name: 'BadRequestException' });
      const err = await failure(chime.send(new ListAttendeesCommand({ MeetingId: m.MeetingId, MaxResults: 101 })));
      expect(err).toMatchObject({ name: 'BadRequestException' });
      expect(err.message).toContain('MaxResults');
    });

    it('DeleteAttendee disconnects and deletes the attendee (AttendeeLeft, AttendeeDeleted)', async () => {
      const m = await createMeeting();
      const a = (await chime.send(new CreateAttendeeCommand({ MeetingId: m.MeetingId, ExternalUserId: 'leaver' }))).Attendee!;
      cloud.meetings.join(m.MeetingId!, a.AttendeeId!);
      const out = await chime.send(new DeleteAttendeeCommand({ MeetingId: m.MeetingId, AttendeeId: a.AttendeeId }));
      expect(out.$metadata.httpStatusCode).toBe(204);
      expect(typesOf(cloud.events, m.MeetingId!)).toEqual(['chime:AttendeeAdded', 'chime:MeetingStarted', 'chime:AttendeeJoined', 'chime:AttendeeLeft', 'chime:AttendeeDeleted']);
      const deleted = cloud.events.filter((e) => e.detail.meetingId === m.MeetingId).pop()!;
      expect(deleted.detail).toMatchObject({ attendeeId: a.AttendeeId, externalUserId: 'leaver' });
      expect(await failure(chime.send(new GetAttendeeCommand({ MeetingId: m.MeetingId, AttendeeId: a.AttendeeId })))).toMatchObject({ name: 'NotFoundException', status: 404 });
      expect(await failure(chime.send(new DeleteAttendeeCommand({ MeetingId: m.MeetingId, AttendeeId: a.AttendeeId })))).toMatchObject({ name: 'NotFoundException' });
    });
  });

  describe('simulated connections', () => {
    it('publishes MeetingStarted on the first join only, and Left / Dropped on leave', async () => {
      const m = await createMeeting();
      const [a, b] = (await chime.send(new BatchCreateAttendeeCommand({ MeetingId: m.MeetingId, Attendees: [{ ExternalUserId: 'ann' }, { ExternalUserId: 'ben' }] }))).Attendees!;
      cloud.meetings.join(m.MeetingId!, a!.AttendeeId!, { video: true });
      cloud.meetings.join(m.MeetingId!, b!.AttendeeId!, { content: true });
      expect(cloud.meetings.connectedAttendees(m.MeetingId!)).toEqual([
        { attendeeId: a!.AttendeeId, externalUserId: 'ann', video: true, content: false },
        { attendeeId: b!.AttendeeId, externalUserId: 'ben', video: false, content: true },
      ]);
      cloud.meetings.leave(m.MeetingId!, a!.AttendeeId!, 'left');
      cloud.meetings.leave(m.MeetingId!, b!.AttendeeId!, 'dropped');
      cloud.meetings.leave(m.MeetingId!, b!.AttendeeId!, 'dropped'); // not connected any more: nothing happens
      expect(typesOf(cloud.events, m.MeetingId!)).toEqual([
        'chime:AttendeeAdded',
        'chime:AttendeeAdded',
        'chime:MeetingStarted',
        'chime:AttendeeJoined',
        'chime:AttendeeJoined',
        'chime:AttendeeLeft',
        'chime:AttendeeDropped',
      ]);
      const joined = cloud.events.find((e) => e.detail.meetingId === m.MeetingId && e.detail.eventType === 'chime:AttendeeJoined')!;
      expect(joined.detail).toEqual({
        version: '0',
        eventType: 'chime:AttendeeJoined',
        timestamp: expect.any(Number),
        meetingId: m.MeetingId,
        externalMeetingId: m.ExternalMeetingId,
        mediaRegion: 'us-east-1',
        attendeeId: a!.AttendeeId,
        externalUserId: 'ann',
        networkType: 'Voip',
      });
      expect(cloud.meetings.connectedAttendees(m.MeetingId!)).toEqual([]);
    });

    it('adds and removes a service attendee through the internal interface; people only in connectedAttendees', async () => {
      const m = await createMeeting();
      const { attendeeId } = cloud.meetings.addAttendee(m.MeetingId!, 'aws:MediaPipeline-0000');
      const listed = await chime.send(new ListAttendeesCommand({ MeetingId: m.MeetingId }));
      expect(listed.Attendees?.map((a) => a.ExternalUserId)).toEqual(['aws:MediaPipeline-0000']);
      expect(cloud.meetings.connectedAttendees(m.MeetingId!)).toEqual([]);
      expect(cloud.meetings.meeting(m.MeetingId!)).toEqual({ meetingId: m.MeetingId, mediaRegion: 'us-east-1', externalMeetingId: m.ExternalMeetingId });
      cloud.meetings.removeAttendee(m.MeetingId!, attendeeId);
      expect(typesOf(cloud.events, m.MeetingId!)).toEqual(['chime:AttendeeAdded', 'chime:MeetingStarted', 'chime:AttendeeJoined', 'chime:AttendeeLeft', 'chime:AttendeeDeleted']);
    });
  });

  describe('automatic end', () => {
    function endedAt(meetingId: string): number | undefined {
      const e = cloud.events.find((ev) => ev.detail.meetingId === meetingId && ev.detail.eventType === 'chime:MeetingEnded');
      return e ? Number(e.detail.timestamp) : undefined;
    }

    it('ends a meeting nobody joins five simulated minutes after creation', async () => {
      const before = cloud.clock.now();
      const m = await createMeeting();
      await cloud.clock.until(() => endedAt(m.MeetingId!) !== undefined);
      expect(endedAt(m.MeetingId!)! - before).toBeGreaterThanOrEqual(IDLE_END_MS);
      expect(cloud.meetings.meeting(m.MeetingId!)).toBeUndefined();
      expect(await failure(chime.send(new GetMeetingCommand({ MeetingId: m.MeetingId })))).toMatchObject({ name: 'NotFoundException' });
    });

    it('ends five minutes after the last attendee leaves, not while someone is connected', async () => {
      const m = await createMeeting();
      const a = (await chime.send(new CreateAttendeeCommand({ MeetingId: m.MeetingId, ExternalUserId: 'stayer' }))).Attendee!;
      cloud.meetings.join(m.MeetingId!, a.AttendeeId!);
      await cloud.clock.run(cloud.clock.sleep(IDLE_END_MS + 60_000));
      expect(endedAt(m.MeetingId!)).toBeUndefined();
      const leftAt = cloud.clock.now();
      cloud.meetings.leave(m.MeetingId!, a.AttendeeId!, 'dropped');
      await cloud.clock.until(() => endedAt(m.MeetingId!) !== undefined);
      expect(endedAt(m.MeetingId!)! - leftAt).toBeGreaterThanOrEqual(IDLE_END_MS);
    });

    it('does not end while a media pipeline attendee is connected (it counts as an attendee)', async () => {
      const m = await createMeeting();
      const { attendeeId } = cloud.meetings.addAttendee(m.MeetingId!, 'aws:MediaPipeline-1111');
      await cloud.clock.run(cloud.clock.sleep(IDLE_END_MS + 60_000));
      expect(endedAt(m.MeetingId!)).toBeUndefined();
      cloud.meetings.removeAttendee(m.MeetingId!, attendeeId);
      await cloud.clock.until(() => endedAt(m.MeetingId!) !== undefined);
    });

    it('ends any meeting after 24 simulated hours', async () => {
      const fast = await startCloud();
      try {
        const client = fast.client();
        await client.send(new CreateMeetingCommand(meetingInput()));
        const m = (await client.send(new CreateMeetingCommand(meetingInput()))).Meeting!;
        const { attendeeId } = fast.meetings.addAttendee(m.MeetingId!, 'aws:MediaPipeline-2222');
        expect(attendeeId).toMatch(GUID);
        const endOf = (e: BusEvent) => e.detail.meetingId === m.MeetingId && e.detail.eventType === 'chime:MeetingEnded';
        await fast.clock.until(() => fast.events.some(endOf));
        const ended = fast.events.find(endOf)!;
        const created = fast.events.find((e) => e.detail.meetingId === m.MeetingId && e.detail.eventType === 'chime:AttendeeAdded')!;
        expect(Number(ended.detail.timestamp) - Number(created.detail.timestamp)).toBeGreaterThanOrEqual(MAX_MEETING_MS - 60_000);
        expect(fast.meetings.activeMeetings()).toEqual([]);
      } finally {
        await fast.close();
      }
    });
  });
});
