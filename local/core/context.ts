import type { Behaviours } from './behaviours';
import type { EventBus } from './bus';
import type { SimClock } from './clock';

/**
 * What every emulator shares: the simulated clock, the event bus, the account and default region,
 * and the directory under which state persists. Emulators that depend on each other (the media
 * pipeline service reads buckets and the service-linked role, writes objects, joins meetings) talk
 * through the narrow interfaces below instead of over HTTP, as the real services do internally.
 */
export interface CloudContext {
  clock: SimClock;
  bus: EventBus;
  account: string;
  region: string;
  /** Root of persisted state, e.g. `.local/`; S3 objects live as real files below it. */
  dataDir: string;
  /** Which variant of each behaviour AWS leaves open the emulators follow. */
  behaviours: Behaviours;
}

export interface BucketInfo {
  name: string;
  region: string;
  /** The bucket policy document as stored (JSON text), or undefined when none. */
  policy?: string;
  /** Default encryption, or undefined when none is configured. */
  encryption?: { algorithm: 'AES256' | 'aws:kms' | 'aws:kms:dsse'; kmsKeyId?: string };
}

/** What the S3 emulator offers other emulators. */
export interface S3Internal {
  bucket(name: string): BucketInfo | undefined;
  /** `requester`: who the bucket's events name as writer (the account, or another service's principal). */
  putObject(bucket: string, key: string, body: Buffer | string, contentType?: string, requester?: string): Promise<void>;
  getObject(bucket: string, key: string): Promise<Buffer | undefined>;
  listKeys(bucket: string, prefix: string): Promise<string[]>;
  /** Where the object lives on disk (for users to open it). */
  filePath(bucket: string, key: string): string;
}

/** What the IAM emulator offers other emulators. */
export interface IamInternal {
  /** True when the named role exists and is not being deleted. */
  roleExists(roleName: string): boolean;
  /** Epoch ms (simulated) when the role was created, if it exists. */
  roleCreatedAt(roleName: string): number | undefined;
  /** Lets the media pipeline service report which resources still use its service-linked role. */
  setRoleUsage(roleName: string, usage: () => Array<{ Region: string; Resources: string[] }>): void;
  /** The linked service used the role in `region` (GetRole's RoleLastUsed). */
  roleUsed(roleName: string, region: string): void;
}

/** What the Chime SDK Meetings emulator offers the media pipeline service. */
export interface MeetingsInternal {
  meeting(meetingId: string): { meetingId: string; mediaRegion: string; externalMeetingId?: string } | undefined;
  /** Adds a connected attendee (a media pipeline's `aws:MediaPipeline-...` attendee). */
  addAttendee(meetingId: string, externalUserId: string): { attendeeId: string };
  removeAttendee(meetingId: string, attendeeId: string): void;
  /** Called when a meeting ends (DeleteMeeting, no attendees for 5 min, 24 h), before MeetingEnded is published. */
  onMeetingEnded(listener: (meetingId: string) => void): void;
  /** Connected human attendees (those whose ExternalUserId does not start with `aws:`), for capture content. */
  connectedAttendees(meetingId: string): Array<{ attendeeId: string; externalUserId: string; video: boolean; content: boolean }>;
}
