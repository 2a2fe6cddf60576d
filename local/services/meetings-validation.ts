import { Members, badRequest, readTags, type JsonObject } from './meetings-shape';
import { decodeEntities, meetingsModel } from './model-validation';

/**
 * Reading the Chime SDK Meetings requests the emulator serves, after their validation against the
 * chime-sdk-meetings model (model-validation.ts), and the rules the API reference states only in prose.
 */
export type Capability = 'SendReceive' | 'Send' | 'Receive' | 'None';

export interface Capabilities {
  Audio: Capability;
  Video: Capability;
  Content: Capability;
}

export type AttendeeItem = { externalUserId: string; capabilities?: Capabilities };

export interface MeetingParams {
  mediaRegion: string;
  externalMeetingId: string;
  meetingHostId?: string;
  notifications?: JsonObject;
  features?: JsonObject;
  videoMax?: string;
  contentMax?: string;
  attendeeMax?: number;
  primaryMeetingId?: string;
  tenantIds?: string[];
  tags?: Array<{ Key: string; Value: string }>;
  networkType?: string;
}

/**
 * The media regions CreateMeeting accepts. The model's MediaRegion shape is only a 2..64 character
 * string; the CreateMeeting MediaRegion documentation lists the values ("Available values: af-south-1,
 * ..." and "Available values in Amazon Web Services GovCloud (US) Regions: us-gov-east-1,
 * us-gov-west-1"), which this reads from the vendored model.
 */
export const MEDIA_REGIONS: readonly string[] = documentedMediaRegions();

function documentedMediaRegions(): string[] {
  const doc = meetingsModel().shape('CreateMeetingRequest').members?.MediaRegion?.documentation ?? '';
  const regions = [...doc.matchAll(/<code>([^<]*)<\/code>/g)].map((m) => decodeEntities(m[1]!).trim()).filter((r) => /^[a-z]{2}(-[a-z]+)+-\d+$/.test(r));
  // The documentation's wording is not a contract: a refresh that loses the list must not accept every region.
  if (regions.length === 0) throw new Error('chime-sdk-meetings model: the CreateMeeting MediaRegion documentation no longer lists the available values');
  return regions;
}

/**
 * "Values that begin with aws: are reserved. You can't configure a value that uses this prefix. Case
 * insensitive." (ExternalMeetingId and ExternalUserId documentation.)
 */
export function isReserved(externalId: string): boolean {
  return externalId.toLowerCase().startsWith('aws:');
}

/** CreateMeeting / CreateMeetingWithAttendees: the meeting's members, with the prose rules. */
export function readMeetingParams(body: Members): MeetingParams {
  const mediaRegion = body.string('MediaRegion', true);
  if (!MEDIA_REGIONS.includes(mediaRegion)) throw badRequest(`MediaRegion: ${mediaRegion} is not a supported media region. Valid values: ${MEDIA_REGIONS.join(', ')}.`);
  const externalMeetingId = body.string('ExternalMeetingId', true);
  if (isReserved(externalMeetingId)) throw badRequest('ExternalMeetingId: values starting with "aws:" are reserved for the service.');
  const meetingHostId = body.string('MeetingHostId');

  const notifications = body.struct('NotificationsConfiguration');
  for (const name of ['LambdaFunctionArn', 'SnsTopicArn', 'SqsQueueArn']) notifications?.string(name);

  const features = body.struct('MeetingFeatures');
  features?.struct('Audio')?.string('EchoReduction');
  const videoMax = features?.struct('Video')?.string('MaxResolution');
  const contentMax = features?.struct('Content')?.string('MaxResolution');
  const attendeeMax = features?.struct('Attendee')?.integer('MaxCount');

  const primaryMeetingId = body.string('PrimaryMeetingId');
  const tenantIds = body.strings('TenantIds');
  const tags = readTags(body);
  const networkType = body.string('MediaPlacementNetworkType');
  return {
    mediaRegion,
    externalMeetingId,
    meetingHostId,
    notifications: notifications?.value,
    features: features?.value,
    videoMax,
    contentMax,
    attendeeMax,
    primaryMeetingId,
    tenantIds,
    tags,
    networkType,
  };
}

/** An item of CreateAttendee, BatchCreateAttendee or CreateMeetingWithAttendees. */
export function readAttendeeItem(m: Members): AttendeeItem {
  const externalUserId = m.string('ExternalUserId', true);
  const caps = m.struct('Capabilities');
  const capabilities = caps && {
    Audio: caps.enumOf<Capability>('Audio', true),
    Video: caps.enumOf<Capability>('Video', true),
    Content: caps.enumOf<Capability>('Content', true),
  };
  return { externalUserId, capabilities };
}
