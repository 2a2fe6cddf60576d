import { performance } from 'node:perf_hooks';
import type { LocalCloud } from '../local/cloud';
import type { Service } from '../local/core/service';

/**
 * What the benchmark observes from outside the local cloud, without changing its behaviour: every
 * meeting and media pipeline created (ids read from successful create responses, so idempotent replays
 * count once), and when, in real time, each meeting ended and its concatenation pipeline was created.
 */
export interface CloudWatch {
  meetingsCreated: Set<string>;
  /** Pipeline id to its meeting, per kind. */
  captures: Map<string, string>;
  concatenations: Map<string, string>;
  /** Meeting id to performance.now() of its first chime:MeetingEnded event. */
  meetingEndedAt: Map<string, number>;
  /** Meeting id to performance.now() when its (first) concatenation pipeline was created. */
  concatenationCreatedAt: Map<string, number>;
  /** The same moments on the cloud's simulated clock: meeting id to when its capture, and its concatenation, was created. */
  simulated: { captureCreatedAt: Map<string, number>; concatenationCreatedAt: Map<string, number> };
}

/** `meetingCreated` runs as CreateMeeting answers (once per meeting, not for idempotent replays). */
export function watchCloud(cloud: LocalCloud, meetingCreated: (meetingId: string) => void = () => undefined): CloudWatch {
  const watch: CloudWatch = { meetingsCreated: new Set(), captures: new Map(), concatenations: new Map(), meetingEndedAt: new Map(), concatenationCreatedAt: new Map(), simulated: { captureCreatedAt: new Map(), concatenationCreatedAt: new Map() } };
  cloud.bus.listeners.add((event) => {
    const { eventType, meetingId } = event.detail;
    if (eventType === 'chime:MeetingEnded' && typeof meetingId === 'string' && !watch.meetingEndedAt.has(meetingId)) watch.meetingEndedAt.set(meetingId, performance.now());
  });
  onCreated(cloud.meetings, (body) => {
    const id = member(body, 'Meeting', 'MeetingId');
    if (!id || watch.meetingsCreated.has(id)) return;
    watch.meetingsCreated.add(id);
    meetingCreated(id);
  });
  onCreated(cloud.pipelines, (body) => {
    const capture = member(body, 'MediaCapturePipeline', 'MediaPipelineId');
    const concatenation = member(body, 'MediaConcatenationPipeline', 'MediaPipelineId');
    const meetingId = cloud.pipelines.pipeline(capture ?? concatenation ?? '')?.meetingId ?? '';
    if (capture) {
      watch.captures.set(capture, meetingId);
      if (!watch.simulated.captureCreatedAt.has(meetingId)) watch.simulated.captureCreatedAt.set(meetingId, cloud.clock.now());
    }
    if (concatenation) {
      watch.concatenations.set(concatenation, meetingId);
      if (!watch.concatenationCreatedAt.has(meetingId)) {
        watch.concatenationCreatedAt.set(meetingId, performance.now());
        watch.simulated.concatenationCreatedAt.set(meetingId, cloud.clock.now());
      }
    }
  });
  return watch;
}

/** Ids a recording should own at most one of, seen more than once per meeting (or created with no recording). */
export function duplicates(watch: CloudWatch, recordings: number): { meetings: number; capturePipelines: number; concatenationPipelines: number } {
  const extra = (byPipeline: Map<string, string>) => byPipeline.size - new Set(byPipeline.values()).size;
  return { meetings: Math.max(0, watch.meetingsCreated.size - recordings), capturePipelines: extra(watch.captures), concatenationPipelines: extra(watch.concatenations) };
}

/** Calls `seen` with the JSON body of every successful Create* answer of the service. */
function onCreated(service: Service, seen: (body: Record<string, unknown>) => void): void {
  const handle = service.handle.bind(service);
  service.handle = async (operation, req) => {
    const response = await handle(operation, req);
    if (operation.startsWith('Create') && response.status < 300 && response.body) seen(JSON.parse(response.body.toString()) as Record<string, unknown>);
    return response;
  };
}

function member(body: Record<string, unknown>, outer: string, inner: string): string | undefined {
  const value = (body[outer] as Record<string, unknown> | undefined)?.[inner];
  return typeof value === 'string' ? value : undefined;
}
