import '../local/quiet';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { LocalCloud } from '../local/cloud';
import { start, startHarness } from '../local/harness';
import { reportToParent, runInChild } from './child';
import { quantile, round } from './stats';
import { duplicates, watchCloud } from './watch';

/**
 * Many recordings at once on one local cloud: wall time, peak memory, outcomes, leaks, and the latency
 * from a meeting's end to its concatenation pipeline's creation. Each size runs in a fresh process.
 */
export interface ThroughputResult {
  recordings: number;
  /** Real ms between consecutive meeting ends (0: every meeting lasts the same, so they end in a burst). */
  endGapMs: number;
  /** Worker threads running the Lambda handlers (the cloud's services keep the main thread). */
  lambdaThreads: number;
  wallMs: number;
  /** CPU time (user + system) of the process over the same span: less sensitive to other load than wall time. */
  cpuMs: number;
  /** Busy share of the cloud thread's event loop (the services; the handlers run in workers) over the run. */
  cloudEventLoopUtilization: number;
  peakRssMiB: number;
  succeeded: number;
  /** Executions that did not succeed, by status and error. */
  failures: Record<string, number>;
  duplicates: { meetings: number; capturePipelines: number; concatenationPipelines: number };
  orphans: { meetings: number; pipelines: number };
  /** Real ms from chime:MeetingEnded to the CreateMediaConcatenationPipeline answer, over all recordings. */
  meetingEndToConcatenationMs: { p50: number; p99: number; max: number; samples: number };
}

/** Each meeting lasts this long (simulated) once its capture records; people leave one simulated second apart. */
export const MEETING_MS = 60_000;
/** One core for the cloud's services, the others for the Lambda handlers (BENCH_LAMBDA_THREADS overrides). */
export const LAMBDA_THREADS = Number(process.env.BENCH_LAMBDA_THREADS ?? Math.max(1, os.availableParallelism() - 1));

/**
 * `endGapMs` 0: every meeting lasts MEETING_MS, so the meetings end in a burst as they started (the
 * stress case). Above 0: the meetings end one by one, `endGapMs` simulated ms apart, as meetings of different
 * lengths do: the reaction time to a meeting's end, rather than how long a burst of them queues.
 */
export function measureThroughput(recordings: number, timeoutMs?: number, endGapMs = 0): Promise<ThroughputResult> {
  return runInChild<ThroughputResult>(__filename, [String(recordings), String(endGapMs)], timeoutMs);
}

async function run(recordings: number, endGapMs: number): Promise<ThroughputResult> {
  // AWS raises the 100-active-pipelines quota and the Chime API rates on request; here every recording
  // holds a capture and a concatenation at once, and the benchmark measures the cloud, not the quotas
  // (at 10 requests/s, 1,000 recordings' ~5 media pipelines calls each take 500 simulated s: 25 real s
  // at this scale). Behaviour under the rate limit is the scale test's subject (test/workflow/scale.test.ts).
  const h = await startHarness({ chimeRateLimit: false, pipelines: { activePipelineLimit: 2 * recordings }, lambdaThreads: LAMBDA_THREADS });
  try {
    const player = new MeetingPlayer(h.cloud, endGapMs);
    const watch = watchCloud(h.cloud, player.created);
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const elu0 = performance.eventLoopUtilization();
    const executions = await h.run(async () => {
      const started = await Promise.all(Array.from({ length: recordings }, () => start(h, { meeting: {} })));
      await Promise.all(started.map((e) => e.done));
      await h.cloud.bus.drain();
      await player.settled();
      return started;
    });
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const elu = performance.eventLoopUtilization(elu0).utilization;

    const failures: Record<string, number> = {};
    for (const e of executions.filter((x) => x.status !== 'SUCCEEDED')) {
      const key = `${e.status} ${e.error ?? ''}`.trim();
      failures[key] = (failures[key] ?? 0) + 1;
    }
    const latencies = [...watch.concatenationCreatedAt].flatMap(([meetingId, at]) => {
      const ended = watch.meetingEndedAt.get(meetingId);
      return ended === undefined ? [] : [at - ended];
    });
    return {
      recordings,
      endGapMs,
      lambdaThreads: LAMBDA_THREADS,
      wallMs: Math.round(wallMs),
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      cloudEventLoopUtilization: round(elu),
      peakRssMiB: round(process.resourceUsage().maxRSS / 1024, 1),
      succeeded: executions.length - Object.values(failures).reduce((a, b) => a + b, 0),
      failures,
      duplicates: duplicates(watch, recordings),
      orphans: h.cloud.orphans(),
      meetingEndToConcatenationMs: { p50: round(quantile(latencies, 0.5)), p99: round(quantile(latencies, 0.99)), max: round(quantile(latencies, 1)), samples: latencies.length },
    };
  } finally {
    await h.close();
  }
}

/**
 * The application side of every meeting: people join the moment CreateMeeting answers, stay MEETING_MS
 * once the capture records (the k-th meeting to record `k * gapMs` simulated ms longer), then leave one
 * simulated second apart; meetings alternate one and two attendees. They join in-process, not through
 * CreateAttendee: in a process busy with a thousand recordings any queued request can take real seconds,
 * which at this scale outlast Chime's five idle minutes and would end the meeting before anyone joined.
 * Events drive it, not polling, which would load the process being measured.
 */
class MeetingPlayer {
  private readonly attendees = new Map<string, string[]>();
  private readonly playing = new Set<Promise<void>>();
  private joined = 0;
  private recording = 0;

  constructor(
    private readonly cloud: LocalCloud,
    private readonly gapMs: number,
  ) {
    cloud.bus.listeners.add((event) => {
      const { eventType, meetingId } = event.detail;
      if (eventType === 'chime:MediaPipelineInProgress' && typeof meetingId === 'string') this.play(meetingId);
    });
  }

  readonly created = (meetingId: string): void => {
    const count = 1 + (this.joined++ % 2);
    this.attendees.set(meetingId, Array.from({ length: count }, (_, i) => this.cloud.meetings.addAttendee(meetingId, `attendee-${i + 1}`).attendeeId));
  };

  async settled(): Promise<void> {
    while (this.playing.size > 0) await Promise.all([...this.playing]);
  }

  /** Once per meeting: the capture's InProgress comes first, the concatenation's finds no one left. */
  private play(meetingId: string): void {
    const ids = this.attendees.get(meetingId);
    if (!ids) return;
    this.attendees.delete(meetingId);
    const lengthMs = MEETING_MS + this.recording++ * this.gapMs;
    const p = (async () => {
      await this.cloud.clock.sleep(lengthMs);
      for (const [i, id] of ids.entries()) {
        if (i > 0) await this.cloud.clock.sleep(1000);
        this.cloud.meetings.leave(meetingId, id, 'left');
      }
    })()
      // A meeting the workflow already ended (a failed recording) simply stops; the outcome is reported.
      .catch(() => undefined)
      .finally(() => this.playing.delete(p));
    this.playing.add(p);
  }
}

if (require.main === module) {
  const recordings = Number(process.argv[2]);
  const endGapMs = Number(process.argv[3] ?? 0);
  if (!(Number.isInteger(recordings) && recordings > 0 && endGapMs >= 0)) throw new Error(`usage: ${path.basename(__filename)} <recordings> [end gap in simulated ms]`);
  reportToParent(() => run(recordings, endGapMs));
}
