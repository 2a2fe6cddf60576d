import type { MeetingsInternal, S3Internal } from '../core/context';
import type { CaptureArtifacts, ConcatenationArtifact } from './media-pipelines-validation';

/**
 * What a media capture pipeline writes to its sink, and what a concatenation pipeline makes of it.
 *
 * A capture delivers 5-second chunks named by their UTC start time under the sink prefix (REFERENCE.md,
 * "S3 key layout"). Chunks are written lazily: the recorder remembers the start of the next chunk and
 * who was connected when, and `flush(now)` writes every chunk complete by then. The service flushes on
 * a periodic simulated tick and when the pipeline stops, so a day-long meeting at high time compression
 * costs a few timer callbacks, not one per chunk. Media chunks are small placeholders that say what
 * they stand for; meeting-events chunks are real JSON lines.
 */
export const CHUNK_MS = 5_000;
/** The requester S3's events name for what media pipelines write. */
const WRITER = 'mediapipelines.chime.amazonaws.com';

export interface S3Location {
  bucket: string;
  /** No leading or trailing slash; '' for the bucket root. */
  prefix: string;
}

interface Present {
  attendeeId: string;
  externalUserId: string;
  video: boolean;
  content: boolean;
}

export interface CaptureTarget {
  sink: S3Location;
  meetingId: string;
  externalMeetingId?: string;
  mediaRegion: string;
  pipelineId: string;
}

export class CaptureRecorder {
  /** Start of the next chunk to write (simulated epoch ms). */
  private nextChunk: number;
  /** Who was connected from `at` until the next entry's `at`. */
  private presence: Array<{ at: number; attendees: Present[] }>;
  private events: Array<{ at: number; line: string }> = [];
  private writing: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly s3: S3Internal,
    private readonly meetings: MeetingsInternal,
    private readonly target: CaptureTarget,
    private readonly artifacts: CaptureArtifacts,
    startedAt: number,
    /** Called when a write fails (bucket deleted mid-capture...): the service fails the pipeline. */
    private readonly onWriteError: (err: unknown) => void,
  ) {
    this.nextChunk = startedAt;
    this.presence = [{ at: startedAt, attendees: meetings.connectedAttendees(target.meetingId) }];
  }

  /** Resolves when every chunk flushed so far is written. */
  get done(): Promise<void> {
    return this.writing;
  }

  /** A `Chime Meeting State Change` of the captured meeting, at simulated time `at`. */
  observe(at: number, detail: Record<string, unknown>): void {
    const { eventType, attendeeId, externalUserId } = detail;
    if (this.stopped || typeof eventType !== 'string' || typeof attendeeId !== 'string' || typeof externalUserId !== 'string') return;
    // The pipeline's own attendee (and any other service attendee) is not part of the recording.
    if (externalUserId.startsWith('aws:')) return;
    if (['chime:AttendeeJoined', 'chime:AttendeeLeft', 'chime:AttendeeDropped'].includes(eventType)) {
      this.events.push({
        at,
        line: JSON.stringify({
          Timestamp: new Date(at).toISOString(),
          EventType: eventType.slice('chime:'.length),
          EventParameters: {
            MeetingId: this.target.meetingId,
            AttendeeId: attendeeId,
            ExternalUserId: externalUserId,
            ExternalMeetingId: this.target.externalMeetingId,
            MediaRegion: this.target.mediaRegion,
          },
        }),
      });
    }
    this.snapshot(at);
  }

  /**
   * Writes every chunk complete at `now`. With `final` (the pipeline stops) also the last, partial
   * chunk, unless `dropLast` reproduces the known field failure of a missing last chunk.
   */
  flush(now: number, final: boolean, dropLast = false): Promise<void> {
    if (this.stopped) return this.writing;
    // Catches changes made without an event (an attendee turning video on while connected).
    this.snapshot(now);
    const objects: Array<{ key: string; body: string }> = [];
    while (this.nextChunk + CHUNK_MS <= now) {
      objects.push(...this.chunk(this.nextChunk, this.nextChunk + CHUNK_MS, false));
      this.nextChunk += CHUNK_MS;
    }
    if (final) {
      this.stopped = true;
      if (now > this.nextChunk && !dropLast) objects.push(...this.chunk(this.nextChunk, now, true));
    }
    this.forget();
    this.writing = this.writing.then(async () => {
      try {
        for (const o of objects) await this.s3.putObject(this.target.sink.bucket, o.key, o.body, contentType(o.key), WRITER);
      } catch (err) {
        this.onWriteError(err);
      }
    });
    return this.writing;
  }

  private snapshot(at: number): void {
    const attendees = this.meetings.connectedAttendees(this.target.meetingId);
    const last = this.presence[this.presence.length - 1];
    if (last && JSON.stringify(last.attendees) === JSON.stringify(attendees)) return;
    this.presence.push({ at, attendees });
  }

  /** Drops presence and events that only concern chunks already written. */
  private forget(): void {
    const firstKept = this.presence.findLastIndex((p) => p.at <= this.nextChunk);
    if (firstKept > 0) this.presence = this.presence.slice(firstKept);
    this.events = this.events.filter((e) => e.at >= this.nextChunk);
  }

  /** The objects for the chunk [start, end) (end included for the last chunk). */
  private chunk(start: number, end: number, last: boolean): Array<{ key: string; body: string }> {
    const time = chunkTime(start);
    const a = this.artifacts;
    const objects = [{ key: this.key(`audio/${time}.mp4`), body: this.placeholder(`audio (${a.audioMux})`, start, end) }];
    const present = this.presentDuring(start, end);
    if (a.video) {
      for (const p of present.filter((p) => p.video && this.selected(p))) {
        objects.push({ key: this.key(`video/${time}-${p.attendeeId}.mp4`), body: this.placeholder(`video of attendee ${p.attendeeId}`, start, end) });
      }
    }
    if (a.content) {
      for (const p of present.filter((p) => p.content)) {
        objects.push({ key: this.key(`video/${time}-${p.attendeeId}#content.mp4`), body: this.placeholder(`content share of attendee ${p.attendeeId}`, start, end) });
      }
    }
    if (a.compositedVideo) objects.push({ key: this.key(`composited-video/${time}.mp4`), body: this.placeholder('composited video', start, end) });
    const lines = this.events.filter((e) => e.at >= start && (last ? e.at <= end : e.at < end)).map((e) => e.line);
    if (lines.length > 0) objects.push({ key: this.key(`meeting-events/${time}.txt`), body: `${lines.join('\n')}\n` });
    return objects;
  }

  /** Everyone connected at some point in [start, end). */
  private presentDuring(start: number, end: number): Present[] {
    const byId = new Map<string, Present>();
    this.presence.forEach((p, i) => {
      const until = this.presence[i + 1]?.at ?? Infinity;
      if (p.at >= end || until <= start) return;
      for (const a of p.attendees) {
        const seen = byId.get(a.attendeeId);
        byId.set(a.attendeeId, seen ? { ...seen, video: seen.video || a.video, content: seen.content || a.content } : a);
      }
    });
    return [...byId.values()];
  }

  private selected(p: Present): boolean {
    const s = this.artifacts.selectedVideo;
    return !s || s.attendeeIds.includes(p.attendeeId) || s.externalUserIds.includes(p.externalUserId);
  }

  private key(relative: string): string {
    return this.target.sink.prefix ? `${this.target.sink.prefix}/${relative}` : relative;
  }

  private placeholder(what: string, start: number, end: number): string {
    const t = this.target;
    return `local cloud placeholder for an MP4 chunk: ${what}, ${new Date(start).toISOString()} to ${new Date(end).toISOString()}, meeting ${t.meetingId}, media pipeline ${t.pipelineId}\n`;
  }
}

/** `yyyy-mm-dd-hh-mm-ss-mmm` in UTC, the chunk naming AWS uses. */
export function chunkTime(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 23).replace(/[T:.]/g, '-');
}

function contentType(key: string): string {
  return key.endsWith('.txt') ? 'text/plain' : 'video/mp4';
}

/** Where each concatenation artifact type reads its chunks (capture folder + filter) and what it writes. */
const CONCATENATED: Record<ConcatenationArtifact, { folder: string; accepts: (name: string) => boolean; output: (id: string) => string }> = {
  Audio: { folder: 'audio', accepts: (n) => n.endsWith('.mp4'), output: (id) => `audio/${id}.mp4` },
  Video: { folder: 'video', accepts: (n) => n.endsWith('.mp4') && !n.endsWith('#content.mp4'), output: (id) => `video/${id}.mp4` },
  Content: { folder: 'video', accepts: (n) => n.endsWith('#content.mp4'), output: (id) => `video/${id}#content.mp4` },
  CompositedVideo: { folder: 'composited-video', accepts: (n) => n.endsWith('.mp4'), output: (id) => `composited-video/${id}.mp4` },
  DataChannel: { folder: 'data-channel', accepts: (n) => n.endsWith('.txt'), output: (id) => `data-channel/${id}.txt` },
  TranscriptionMessages: { folder: 'transcription-messages', accepts: (n) => n.endsWith('.txt'), output: (id) => `transcription-messages/${id}.txt` },
  MeetingEvents: { folder: 'meeting-events', accepts: (n) => n.endsWith('.txt'), output: (id) => `meeting-events/${id}.txt` },
};

export interface ConcatenationPlan {
  artifact: ConcatenationArtifact;
  /** Chunk keys in the capture bucket, in time order. */
  chunks: string[];
}

/** The chunks each enabled artifact type would join (types without chunks produce no file). */
export async function planConcatenation(s3: S3Internal, capture: S3Location, enabled: ConcatenationArtifact[]): Promise<ConcatenationPlan[]> {
  const plans: ConcatenationPlan[] = [];
  for (const artifact of enabled) {
    const spec = CONCATENATED[artifact];
    const folder = capture.prefix ? `${capture.prefix}/${spec.folder}/` : `${spec.folder}/`;
    const keys = await s3.listKeys(capture.bucket, folder);
    // Chunk names start with their UTC start time, so name order is time order.
    const chunks = keys.filter((k) => !k.slice(folder.length).includes('/') && spec.accepts(k)).sort();
    if (chunks.length > 0) plans.push({ artifact, chunks });
  }
  return plans;
}

/**
 * Writes one file per planned artifact type under the destination prefix, or under the concatenation
 * pipeline's id when the destination has none; returns the keys written.
 */
export async function writeConcatenation(s3: S3Internal, capture: S3Location, plans: ConcatenationPlan[], destination: S3Location, pipelineId: string): Promise<string[]> {
  const root = destination.prefix || pipelineId;
  const written: string[] = [];
  for (const plan of plans) {
    const parts: Buffer[] = [];
    for (const key of plan.chunks) {
      const body = await s3.getObject(capture.bucket, key);
      if (body) parts.push(body);
    }
    const key = `${root}/${CONCATENATED[plan.artifact].output(pipelineId)}`;
    await s3.putObject(destination.bucket, key, Buffer.concat(parts), contentType(key), WRITER);
    written.push(key);
  }
  return written;
}
