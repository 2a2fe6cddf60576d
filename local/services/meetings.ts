import { randomBytes, randomUUID } from 'node:crypto';
import type { CloudContext, MeetingsInternal } from '../core/context';
import { ServiceError, json, parseJsonBody, restJsonError, type LocalRequest, type LocalResponse, type Service } from '../core/service';
import { Members, badRequest, fingerprint, page, type JsonObject } from './meetings-shape';
import { isReserved, readAttendeeItem, readMeetingParams, type AttendeeItem, type Capabilities, type Capability, type MeetingParams } from './meetings-validation';
import { meetingsModel } from './model-validation';
import type { SimTimer } from '../core/clock';

/**
 * Amazon Chime SDK Meetings (rest-json, signing name `chime`). Meetings and attendees live in memory;
 * attendee connections are simulated through `join` / `leave` (there is no media plane), and the
 * meeting lifecycle follows what AWS documents: a meeting ends on DeleteMeeting, after five minutes
 * with nobody connected (a media pipeline's attendee counts, which is why recorded meetings never end
 * by themselves), or after 24 hours. Every state change is published to the event bus as the
 * `Chime Meeting State Change` events EventBridge receives from `aws.chime`.
 */

export const IDLE_END_MS = 5 * 60_000;
export const MAX_MEETING_MS = 24 * 60 * 60_000;
/** Attendees per meeting when MeetingFeatures.Attendee.MaxCount is not set (the model's maximum). */
const DEFAULT_MAX_ATTENDEES = 250;

interface Attendee {
  /** Creation order, for stable pagination. */
  seq: number;
  attendeeId: string;
  externalUserId: string;
  joinToken: string;
  capabilities: Capabilities;
  connected: boolean;
  video: boolean;
  content: boolean;
}

interface Meeting {
  meetingId: string;
  meetingArn: string;
  /** Region of the API endpoint that created it; meetings are not visible from other control regions. */
  controlRegion: string;
  params: MeetingParams;
  fingerprint: string;
  mediaPlacement: Record<string, string>;
  attendees: Map<string, Attendee>;
  nextSeq: number;
  /** Someone (person or pipeline) has connected at least once. */
  started: boolean;
  ended: boolean;
  idleTimer?: SimTimer;
  maxTimer?: SimTimer;
}

/** Events about an attendee's connection, which say how it is connected (AttendeeJoined-1/-2, AttendeeLeft-1/-2, AttendeeDropped-1/-2). */
const CONNECTION_EVENTS: ReadonlySet<string> = new Set(['chime:AttendeeJoined', 'chime:AttendeeLeft', 'chime:AttendeeDropped']);

export class MeetingsService implements Service, MeetingsInternal {
  readonly name = 'meetings';
  readonly signingNames = ['chime'] as const;
  private readonly meetings = new Map<string, Meeting>();
  private readonly tokens = new Map<string, string>();
  private readonly endListeners: Array<(meetingId: string) => void> = [];

  constructor(private readonly ctx: CloudContext) {}

  operation(req: LocalRequest): string | undefined {
    const seg = req.path.split('/').filter(Boolean);
    // GET /tags?arn= is ListTagsForResource in both Chime SDK models; on AWS each API has its own host
    // (meetings-chime, media-pipelines-chime), here they share one port, so the ARN's resource type decides.
    if (seg.length === 1 && seg[0] === 'tags') return req.method === 'GET' && isMeetingArn(req.query.get('arn')) ? 'ListTagsForResource' : undefined;
    if (seg[0] !== 'meetings' || seg.length > 4 || (seg.length > 2 && seg[2] !== 'attendees')) return undefined;
    const op = req.query.get('operation');
    const m = req.method;
    switch (seg.length) {
      case 1:
        if (m !== 'POST') return undefined;
        return op === 'create-attendees' ? 'CreateMeetingWithAttendees' : op === null ? 'CreateMeeting' : undefined;
      case 2:
        return m === 'GET' ? 'GetMeeting' : m === 'DELETE' ? 'DeleteMeeting' : undefined;
      case 3:
        if (m === 'GET') return 'ListAttendees';
        if (m !== 'POST') return undefined;
        return op === 'batch-create' ? 'BatchCreateAttendee' : op === null ? 'CreateAttendee' : undefined;
      default:
        return m === 'GET' ? 'GetAttendee' : m === 'DELETE' ? 'DeleteAttendee' : undefined;
    }
  }

  async handle(operation: string, req: LocalRequest): Promise<LocalResponse> {
    meetingsModel().validateRequest(operation, req);
    const seg = req.path.split('/').filter(Boolean);
    switch (operation) {
      case 'CreateMeeting': {
        const body = new Members(parseJsonBody(req));
        const meeting = this.createMeeting(req.region, body);
        return json(200, { Meeting: meetingView(meeting) });
      }
      case 'CreateMeetingWithAttendees': {
        const body = new Members(parseJsonBody(req));
        // Validate everything before creating anything.
        const items = body.structs('Attendees', true).map(readAttendeeItem);
        const meeting = this.createMeeting(req.region, body);
        return json(200, { Meeting: meetingView(meeting), ...this.createAttendees(meeting, items) });
      }
      case 'GetMeeting':
        return json(200, { Meeting: meetingView(this.activeMeeting(req, seg[1])) });
      case 'DeleteMeeting':
        this.finish(this.activeMeeting(req, seg[1]));
        return { status: 204 };
      case 'CreateAttendee': {
        const item = readAttendeeItem(new Members(parseJsonBody(req)));
        const meeting = this.activeMeeting(req, seg[1]);
        if (isReserved(item.externalUserId)) throw badRequest('ExternalUserId: values starting with "aws:" are reserved for the service.');
        if (this.atCapacity(meeting, item.externalUserId)) throw new ServiceError('LimitExceededException', 400, `The meeting has reached its maximum of ${maxAttendees(meeting)} attendees.`);
        return json(200, { Attendee: attendeeView(this.createAttendee(meeting, item)) });
      }
      case 'BatchCreateAttendee': {
        const items = new Members(parseJsonBody(req)).structs('Attendees', true).map(readAttendeeItem);
        return json(200, this.createAttendees(this.activeMeeting(req, seg[1]), items));
      }
      case 'GetAttendee':
        return json(200, { Attendee: attendeeView(this.attendee(this.activeMeeting(req, seg[1]), seg[3])) });
      case 'ListAttendees': {
        const meeting = this.activeMeeting(req, seg[1]);
        const { items, nextToken } = page(meeting.attendees.values(), req.query, `attendees:${meeting.meetingId}`, 100);
        return json(200, { Attendees: items.map(attendeeView), NextToken: nextToken });
      }
      case 'ListTagsForResource': {
        // The tags given to CreateMeeting. The model's error for a resource it cannot find here is
        // ResourceNotFoundException (404), not the NotFoundException of the meeting operations.
        const arn = req.query.get('arn') ?? '';
        const meeting = [...this.meetings.values()].find((m) => m.meetingArn === arn && !m.ended && m.controlRegion === req.region);
        if (!meeting) throw new ServiceError('ResourceNotFoundException', 404, `Resource ${arn} not found.`);
        return json(200, { Tags: meeting.params.tags ?? [] });
      }
      case 'DeleteAttendee': {
        const meeting = this.activeMeeting(req, seg[1]);
        this.deleteAttendee(meeting, this.attendee(meeting, seg[3]));
        return { status: 204 };
      }
      default:
        throw new ServiceError('BadRequestException', 400, `The local cloud does not implement Chime SDK Meetings ${operation}.`);
    }
  }

  errorResponse(err: ServiceError): LocalResponse {
    return restJsonError(err);
  }

  async close(): Promise<void> {
    for (const m of this.meetings.values()) this.clearTimers(m);
  }

  // ---- simulated attendee connections (the media plane we do not have) ----

  /** An attendee's client connects (publishes AttendeeJoined, and MeetingStarted on the meeting's first connection). */
  join(meetingId: string, attendeeId: string, opts: { video?: boolean; content?: boolean } = {}): void {
    const meeting = this.liveMeeting(meetingId);
    const attendee = this.attendee(meeting, attendeeId);
    const video = opts.video ?? false;
    const content = opts.content ?? false;
    if (video && !sends(attendee.capabilities.Video)) throw badRequest(`Attendee ${attendeeId} cannot send video (Capabilities.Video is ${attendee.capabilities.Video}).`);
    if (content && !sends(attendee.capabilities.Content)) throw badRequest(`Attendee ${attendeeId} cannot share content (Capabilities.Content is ${attendee.capabilities.Content}).`);
    attendee.video = video;
    attendee.content = content;
    // Re-joining while connected only changes what the attendee sends.
    if (!attendee.connected) this.connect(meeting, attendee);
  }

  /** An attendee's client disconnects: 'left' when it says goodbye, 'dropped' when the connection is lost. */
  leave(meetingId: string, attendeeId: string, how: 'left' | 'dropped'): void {
    const meeting = this.meetings.get(meetingId);
    if (!meeting) throw notFound(`Meeting ${meetingId} not found.`);
    // Everyone was disconnected when the meeting ended; a client leaving afterwards changes nothing.
    if (meeting.ended) return;
    const attendee = this.attendee(meeting, attendeeId);
    if (!attendee.connected) return;
    this.disconnect(meeting, attendee, how === 'left' ? 'chime:AttendeeLeft' : 'chime:AttendeeDropped');
  }

  /** Ends a meeting as the application or AWS would (DeleteMeeting, a timeout); a no-op when it already ended. */
  end(meetingId: string): void {
    const meeting = this.meetings.get(meetingId);
    if (!meeting) throw notFound(`Meeting ${meetingId} not found.`);
    this.finish(meeting);
  }

  /** Meetings that have not ended, for leak checks. */
  activeMeetings(): Array<{ meetingId: string; externalMeetingId: string; mediaRegion: string }> {
    return [...this.meetings.values()].filter((m) => !m.ended).map((m) => ({ meetingId: m.meetingId, externalMeetingId: m.params.externalMeetingId, mediaRegion: m.params.mediaRegion }));
  }

  // ---- MeetingsInternal ----

  meeting(meetingId: string): { meetingId: string; mediaRegion: string; externalMeetingId?: string } | undefined {
    const m = this.meetings.get(meetingId);
    return m && !m.ended ? { meetingId, mediaRegion: m.params.mediaRegion, externalMeetingId: m.params.externalMeetingId } : undefined;
  }

  addAttendee(meetingId: string, externalUserId: string): { attendeeId: string } {
    const meeting = this.liveMeeting(meetingId);
    // A pipeline only receives media (and no content where the meeting has none).
    const content = meeting.params.contentMax === 'None' ? 'None' : 'Receive';
    const attendee = this.createAttendee(meeting, { externalUserId, capabilities: { Audio: 'Receive', Video: 'Receive', Content: content } });
    this.connect(meeting, attendee);
    return { attendeeId: attendee.attendeeId };
  }

  removeAttendee(meetingId: string, attendeeId: string): void {
    const meeting = this.meetings.get(meetingId);
    const attendee = meeting?.attendees.get(attendeeId);
    if (meeting && !meeting.ended && attendee) this.deleteAttendee(meeting, attendee);
  }

  onMeetingEnded(listener: (meetingId: string) => void): void {
    this.endListeners.push(listener);
  }

  connectedAttendees(meetingId: string): Array<{ attendeeId: string; externalUserId: string; video: boolean; content: boolean }> {
    const meeting = this.meetings.get(meetingId);
    if (!meeting || meeting.ended) return [];
    return [...meeting.attendees.values()]
      .filter((a) => a.connected && !isReserved(a.externalUserId))
      .map((a) => ({ attendeeId: a.attendeeId, externalUserId: a.externalUserId, video: a.video, content: a.content }));
  }

  // ---- meetings ----

  private createMeeting(controlRegion: string, body: Members): Meeting {
    const token = body.string('ClientRequestToken', true);
    const params = this.readMeetingParams(body);
    const print = fingerprint(params);
    const known = this.meetings.get(this.tokens.get(token) ?? '');
    if (known) {
      // The same token returns the meeting it created; reusing it for another request is a conflict.
      if (known.fingerprint !== print) throw new ServiceError('ConflictException', 409, 'The ClientRequestToken was already used for a different CreateMeeting request.');
      return known;
    }
    const meetingId = randomUUID();
    const meeting: Meeting = {
      meetingId,
      meetingArn: `arn:aws:chime:${controlRegion}:${this.ctx.account}:meeting/${meetingId}`,
      controlRegion,
      params,
      fingerprint: print,
      mediaPlacement: mediaPlacement(meetingId, params.mediaRegion),
      attendees: new Map(),
      nextSeq: 0,
      started: false,
      ended: false,
    };
    this.meetings.set(meetingId, meeting);
    this.tokens.set(token, meetingId);
    meeting.maxTimer = this.ctx.clock.setTimeout(MAX_MEETING_MS, () => this.finish(meeting));
    // Nobody is connected yet: the five-minute idle timeout starts now.
    this.scheduleIdleEnd(meeting);
    return meeting;
  }

  private readMeetingParams(body: Members): MeetingParams {
    const params = readMeetingParams(body);
    const { primaryMeetingId } = params;
    if (primaryMeetingId !== undefined && !this.meeting(primaryMeetingId)) throw badRequest(`PrimaryMeetingId: meeting ${primaryMeetingId} does not exist or has ended.`);
    return params;
  }

  private activeMeeting(req: LocalRequest, rawId: string | undefined): Meeting {
    const meetingId = rawId ?? '';
    const meeting = this.meetings.get(meetingId);
    if (!meeting || meeting.ended || meeting.controlRegion !== req.region) throw notFound(`Meeting ${meetingId} not found.`);
    return meeting;
  }

  /** For the simulation and internal APIs (no region: they are not requests). */
  private liveMeeting(meetingId: string): Meeting {
    const meeting = this.meetings.get(meetingId);
    if (!meeting || meeting.ended) throw notFound(`Meeting ${meetingId} not found.`);
    return meeting;
  }

  /** Ends the meeting: its pipelines stop (listeners) before MeetingEnded is published, as on AWS. */
  private finish(meeting: Meeting): void {
    if (meeting.ended) return;
    meeting.ended = true;
    this.clearTimers(meeting);
    for (const listener of this.endListeners) {
      try {
        listener(meeting.meetingId);
      } catch (err) {
        process.stderr.write(`local cloud: meeting-ended listener failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      }
    }
    // Attendees and join tokens die with the meeting.
    meeting.attendees.clear();
    this.publish(meeting, 'chime:MeetingEnded');
  }

  private scheduleIdleEnd(meeting: Meeting): void {
    this.ctx.clock.clearTimeout(meeting.idleTimer);
    meeting.idleTimer = this.ctx.clock.setTimeout(IDLE_END_MS, () => this.finish(meeting));
  }

  private clearTimers(meeting: Meeting): void {
    this.ctx.clock.clearTimeout(meeting.idleTimer);
    this.ctx.clock.clearTimeout(meeting.maxTimer);
    meeting.idleTimer = undefined;
    meeting.maxTimer = undefined;
  }

  // ---- attendees ----

  private attendee(meeting: Meeting, rawId: string | undefined): Attendee {
    const attendeeId = rawId ?? '';
    const attendee = meeting.attendees.get(attendeeId);
    if (!attendee) throw notFound(`Attendee ${attendeeId} not found.`);
    return attendee;
  }

  /** ExternalUserId is the attendee's idempotency key: creating it again returns the same attendee. */
  private createAttendee(meeting: Meeting, item: AttendeeItem): Attendee {
    const existing = [...meeting.attendees.values()].find((a) => a.externalUserId === item.externalUserId);
    if (existing) return existing;
    const capabilities = item.capabilities ?? defaultCapabilities(meeting.params);
    checkCapabilities(meeting.params, capabilities);
    const attendee: Attendee = {
      seq: meeting.nextSeq++,
      attendeeId: randomUUID(),
      externalUserId: item.externalUserId,
      joinToken: randomBytes(96).toString('base64'),
      capabilities,
      connected: false,
      video: false,
      content: false,
    };
    meeting.attendees.set(attendee.attendeeId, attendee);
    this.publish(meeting, 'chime:AttendeeAdded', attendee);
    return attendee;
  }

  /** Batch creation reports per-attendee failures in Errors instead of failing the request. */
  private createAttendees(meeting: Meeting, items: AttendeeItem[]): { Attendees: JsonObject[]; Errors: JsonObject[] } {
    const Attendees: JsonObject[] = [];
    const Errors: JsonObject[] = [];
    for (const item of items) {
      if (isReserved(item.externalUserId)) {
        Errors.push({ ExternalUserId: item.externalUserId, ErrorCode: 'BadRequest', ErrorMessage: 'ExternalUserId values starting with "aws:" are reserved for the service.' });
      } else if (this.atCapacity(meeting, item.externalUserId)) {
        Errors.push({ ExternalUserId: item.externalUserId, ErrorCode: 'LimitExceeded', ErrorMessage: `The meeting has reached its maximum of ${maxAttendees(meeting)} attendees.` });
      } else {
        try {
          Attendees.push(attendeeView(this.createAttendee(meeting, item)));
        } catch (err) {
          if (!(err instanceof ServiceError)) throw err;
          Errors.push({ ExternalUserId: item.externalUserId, ErrorCode: 'BadRequest', ErrorMessage: err.message });
        }
      }
    }
    return { Attendees, Errors };
  }

  /** Whether a new attendee would exceed the limit (an existing ExternalUserId is not new; pipelines do not count). */
  private atCapacity(meeting: Meeting, externalUserId: string): boolean {
    const people = [...meeting.attendees.values()].filter((a) => !isReserved(a.externalUserId));
    return !people.some((a) => a.externalUserId === externalUserId) && people.length >= maxAttendees(meeting);
  }

  private deleteAttendee(meeting: Meeting, attendee: Attendee): void {
    if (attendee.connected) this.disconnect(meeting, attendee, 'chime:AttendeeLeft');
    meeting.attendees.delete(attendee.attendeeId);
    this.publish(meeting, 'chime:AttendeeDeleted', attendee);
  }

  private connect(meeting: Meeting, attendee: Attendee): void {
    attendee.connected = true;
    this.ctx.clock.clearTimeout(meeting.idleTimer);
    meeting.idleTimer = undefined;
    if (!meeting.started) {
      meeting.started = true;
      this.publish(meeting, 'chime:MeetingStarted');
    }
    this.publish(meeting, 'chime:AttendeeJoined', attendee);
  }

  private disconnect(meeting: Meeting, attendee: Attendee, eventType: 'chime:AttendeeLeft' | 'chime:AttendeeDropped'): void {
    attendee.connected = false;
    attendee.video = false;
    attendee.content = false;
    this.publish(meeting, eventType, attendee);
    if (![...meeting.attendees.values()].some((a) => a.connected)) this.scheduleIdleEnd(meeting);
  }

  /**
   * The members are those of AWS's samples (test/fixtures/aws-examples/chime-sdk-meetings, checked by
   * test/unit/local/aws-examples.test.ts): attendee events carry externalMeetingId as the current
   * using-events page shows, connection events (joined, left, dropped) carry `networkType`, which is
   * "Voip" for every client of the SDK (there is no dial-in here), and `timestamp` is whole epoch ms.
   */
  private publish(meeting: Meeting, eventType: string, attendee?: Attendee): void {
    this.ctx.bus.put([
      {
        source: 'aws.chime',
        'detail-type': 'Chime Meeting State Change',
        region: meeting.controlRegion,
        detail: {
          version: '0',
          eventType,
          timestamp: Math.floor(this.ctx.clock.now()),
          meetingId: meeting.meetingId,
          externalMeetingId: meeting.params.externalMeetingId,
          mediaRegion: meeting.params.mediaRegion,
          ...(attendee ? { attendeeId: attendee.attendeeId, externalUserId: attendee.externalUserId } : {}),
          ...(attendee && CONNECTION_EVENTS.has(eventType) ? { networkType: 'Voip' } : {}),
        },
      },
    ]);
  }
}

/**
 * Defaults and rules from the AttendeeCapabilities documentation: everything SendReceive unless the
 * meeting disabled video or content; content can only be received by an attendee that receives video.
 */
function defaultCapabilities(params: MeetingParams): Capabilities {
  const noVideo = params.videoMax === 'None';
  const noContent = params.contentMax === 'None';
  return { Audio: 'SendReceive', Video: noVideo ? (noContent ? 'None' : 'Receive') : 'SendReceive', Content: noContent ? 'None' : 'SendReceive' };
}

function checkCapabilities(params: MeetingParams, caps: Capabilities): void {
  if (params.videoMax === 'None' && sends(caps.Video)) throw badRequest('Capabilities.Video: the meeting was created with MeetingFeatures.Video.MaxResolution None, so attendees cannot send video.');
  if (params.contentMax === 'None' && caps.Content !== 'None') throw badRequest('Capabilities.Content: the meeting was created with MeetingFeatures.Content.MaxResolution None.');
  if (receives(caps.Content) && !receives(caps.Video)) throw badRequest('Capabilities.Content: SendReceive or Receive requires Capabilities.Video to be SendReceive or Receive.');
}

function sends(c: Capability): boolean {
  return c === 'SendReceive' || c === 'Send';
}

function receives(c: Capability): boolean {
  return c === 'SendReceive' || c === 'Receive';
}

function maxAttendees(meeting: Meeting): number {
  return meeting.params.attendeeMax ?? DEFAULT_MAX_ATTENDEES;
}

function isMeetingArn(arn: string | null): boolean {
  return /^arn:[^:]+:chime:[^:]*:\d+:meeting\//.test(arn ?? '');
}

function notFound(message: string): ServiceError {
  return new ServiceError('NotFoundException', 404, message);
}

function meetingView(m: Meeting): JsonObject {
  const p = m.params;
  return {
    MeetingId: m.meetingId,
    MeetingHostId: p.meetingHostId,
    ExternalMeetingId: p.externalMeetingId,
    MediaRegion: p.mediaRegion,
    MediaPlacement: m.mediaPlacement,
    MeetingFeatures: p.features,
    PrimaryMeetingId: p.primaryMeetingId,
    TenantIds: p.tenantIds,
    MeetingArn: m.meetingArn,
  };
}

function attendeeView(a: Attendee): JsonObject {
  return { ExternalUserId: a.externalUserId, AttendeeId: a.attendeeId, JoinToken: a.joinToken, Capabilities: a.capabilities };
}

/** URLs shaped like the real ones (hosts per media region); nothing listens on them. */
function mediaPlacement(meetingId: string, mediaRegion: string): Record<string, string> {
  const short = mediaRegion
    .split('-')
    .map((part) => (/^\d+$/.test(part) ? part : part[0]))
    .join('');
  const host = `m1.${short}.app.chime.aws`;
  return {
    AudioHostUrl: `${randomBytes(16).toString('hex')}.k.${host}:3478`,
    AudioFallbackUrl: `wss://haxrp.${host}:443/calls/${meetingId}`,
    SignalingUrl: `wss://signal.${host}/control/${meetingId}`,
    TurnControlUrl: `https://2713.cell.${mediaRegion}.meetings.chime.aws/v2/turn_sessions`,
    ScreenDataUrl: `wss://bitpw.${host}:443/v2/screen/${meetingId}`,
    ScreenViewingUrl: `wss://bitpw.${host}:443/ws/connect?passcode=null&viewer_uuid=null&X-BitHub-Call-Id=${meetingId}`,
    ScreenSharingUrl: `wss://bitpw.${host}:443/v2/screen/${meetingId}`,
    EventIngestionUrl: `https://data.svc.${short}.ingest.chime.aws/v1/client-events`,
  };
}
