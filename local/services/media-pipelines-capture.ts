import type { MeetingsInternal, S3Internal } from '../core/context';
import type { CaptureArtifacts, ConcatenationArtifact } from './media-pipelines-validation';
import type { Picture } from './mp4-codecs';
import { joinMp4, writeMp4, type Mp4Layout, type Mp4Tracks } from './mp4';

/**
 * What a media capture pipeline writes to its sink, and what a concatenation pipeline makes of it.
 *
 * A capture delivers 5-second chunks named by their UTC start time under the sink prefix (REFERENCE.md,
 * "S3 key layout"). Chunks are written lazily: the recorder remembers the start of the next chunk and
 * who was connected when, and `flush(now)` writes every chunk complete by then. The service flushes on
 * a periodic simulated tick and when the pipeline stops, so a day-long meeting at high time compression
 * costs a few timer callbacks, not one per chunk. Media chunks are MP4 files of silence and a black
 * picture (mp4.ts) lasting exactly their span, the last one as long as the capture ran on after the
 * last whole chunk; meeting-events chunks are real JSON lines.
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

export interface CaptureMedia {
  /** Where the MP4 files keep their moov box (behaviour media-file-layout). */
  layout: Mp4Layout;
  /** The fraction of chunks (0 to 1) whose media is never written (MediaPipelineOptions.lostChunkRatio). */
  lostChunkRatio: number;
  /** Whether meeting-events lists those already connected at the start as joined (behaviour meeting-events-present-at-start). */
  listPresentAtStart: boolean;
}

/**
 * HD, the composited picture's default size, also stands for the camera and content-share pictures:
 * AWS records the size each client sends, which it does not document.
 */
const HD: Picture = { width: 1280, height: 720 };

/** A chunk's object: an MP4 (made when written) or text. */
type ChunkObject = { key: string; media: { durationMs: number; tracks: Mp4Tracks } } | { key: string; text: string };

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
    private readonly media: CaptureMedia,
    private readonly startedAt: number,
    /** Called when a write fails (bucket deleted mid-capture...): the service fails the pipeline. */
    private readonly onWriteError: (err: unknown) => void,
  ) {
    if (!(media.lostChunkRatio >= 0 && media.lostChunkRatio < 1)) throw new RangeError(`lostChunkRatio must be at least 0 and less than 1, not ${media.lostChunkRatio}`);
    this.nextChunk = startedAt;
    const present = meetings.connectedAttendees(target.meetingId);
    this.presence = [{ at: startedAt, attendees: present }];
    if (media.listPresentAtStart) for (const p of present) this.record(startedAt, 'chime:AttendeeJoined', p.attendeeId, p.externalUserId);
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
    if (['chime:AttendeeJoined', 'chime:AttendeeLeft', 'chime:AttendeeDropped'].includes(eventType)) this.record(at, eventType, attendeeId, externalUserId);
    this.snapshot(at);
  }

  /**
   * A meeting-events line. The guide gives only the outline ({Timestamp, EventType, EventParameters});
   * the lines users have posted (amazon-chime-sdk-js#2528, #2325) stamp the time as
   * 2022-12-18T06:11:45.284+00:00 and carry AttendeeId in EventParameters. What else an attendee's line
   * carries is not documented; these parameters are those of the attendee's EventBridge event.
   */
  private record(at: number, eventType: string, attendeeId: string, externalUserId: string): void {
    this.events.push({
      at,
      line: JSON.stringify({
        Timestamp: new Date(at).toISOString().replace(/Z$/, '+00:00'),
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

  /**
   * Writes every chunk complete at `now`. With `final` (the pipeline stops) also the last, partial
   * chunk, unless `dropLast` reproduces the known field failure of a missing last chunk.
   */
  flush(now: number, final: boolean, dropLast = false): Promise<void> {
    if (this.stopped) return this.writing;
    // Catches changes made without an event (an attendee turning video on while connected).
    this.snapshot(now);
    const objects: ChunkObject[] = [];
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
        // Chunks of the same length and tracks (every whole chunk of an artifact, the videos of several
        // attendees) are the same file: each distinct one is made once.
        const files = new Map<string, Buffer>();
        for (const o of objects) {
          let body: Buffer | string;
          if ('text' in o) body = o.text;
          else {
            const id = JSON.stringify(o.media);
            body = files.get(id) ?? writeMp4(o.media.durationMs, o.media.tracks, this.media.layout);
            files.set(id, body);
          }
          await this.s3.putObject(this.target.sink.bucket, o.key, body, contentType(o.key), WRITER);
        }
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

  /**
   * The objects for the chunk [start, end) (end included for the last chunk). What each MP4 holds:
   * audio/ the mixed audio, with the active speaker's video unless the mux type is AudioOnly ("5-second
   * MP4 files of the mixed audio stream, meaning they contain audio from all attendees, plus the active
   * speaker's video", Configuring the audio folder, https://docs.aws.amazon.com/chime-sdk/latest/dg/configure-audio.html),
   * the composited picture with AudioWithCompositedVideo; video/ one attendee's camera or content share,
   * video only (MuxType VideoOnly, ContentOnly); composited-video/ the composited picture with the
   * mixed audio (concatenated composited video has sound: https://github.com/aws/amazon-chime-sdk-js/issues/2854).
   */
  private chunk(start: number, end: number, last: boolean): ChunkObject[] {
    const time = chunkTime(start);
    const a = this.artifacts;
    const objects: ChunkObject[] = [];
    const durationMs = Math.round(end - start);
    if (durationMs > 0 && !this.lost(start)) {
      const media = (key: string, tracks: Mp4Tracks) => objects.push({ key: this.key(key), media: { durationMs, tracks } });
      const speaker = a.audioMux === 'AudioWithCompositedVideo' ? (a.compositedVideo ?? HD) : HD;
      media(`audio/${time}.mp4`, { audio: true, video: a.audioMux === 'AudioOnly' ? undefined : speaker });
      const present = this.presentDuring(start, end);
      if (a.video) for (const p of present.filter((p) => p.video && this.selected(p))) media(`video/${time}-${p.attendeeId}.mp4`, { audio: false, video: HD });
      if (a.content) for (const p of present.filter((p) => p.content)) media(`video/${time}-${p.attendeeId}#content.mp4`, { audio: false, video: HD });
      if (a.compositedVideo) media(`composited-video/${time}.mp4`, { audio: true, video: a.compositedVideo });
    }
    const lines = this.events.filter((e) => e.at >= start && (last ? e.at <= end : e.at < end)).map((e) => e.line);
    if (lines.length > 0) objects.push({ key: this.key(`meeting-events/${time}.txt`), text: `${lines.join('\n')}\n` });
    return objects;
  }

  /**
   * Whether the chunk starting at `start` is one lostChunkRatio loses: chunks are lost evenly through the
   * capture (a ratio of 0.5 loses every other one), never the first.
   */
  private lost(start: number): boolean {
    const index = Math.round((start - this.startedAt) / CHUNK_MS);
    const r = this.media.lostChunkRatio;
    return Math.floor((index + 1) * r) > Math.floor(index * r);
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
 * pipeline's id when the destination has none; returns the keys written. Media files are the chunks
 * joined into one MP4 (mp4.ts: its duration is the sum of the chunks' own); text files are the chunks'
 * lines one after the other.
 */
export async function writeConcatenation(s3: S3Internal, capture: S3Location, plans: ConcatenationPlan[], destination: S3Location, pipelineId: string, layout: Mp4Layout): Promise<string[]> {
  const root = destination.prefix || pipelineId;
  const written: string[] = [];
  for (const plan of plans) {
    const parts: Buffer[] = [];
    for (const key of plan.chunks) {
      const body = await s3.getObject(capture.bucket, key);
      if (body) parts.push(body);
    }
    const key = `${root}/${CONCATENATED[plan.artifact].output(pipelineId)}`;
    const joined = key.endsWith('.mp4') ? joinMp4(parts, layout) : Buffer.concat(parts);
    await s3.putObject(destination.bucket, key, joined, contentType(key), WRITER);
    written.push(key);
  }
  return written;
}
