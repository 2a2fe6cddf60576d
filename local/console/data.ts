import { GetObjectCommand, ListObjectsV2Command, S3Client, type _Object } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, DescribeStateMachineCommand, GetExecutionHistoryCommand, ListExecutionsCommand, ListStateMachinesCommand, SFNClient, type HistoryEvent } from '@aws-sdk/client-sfn';
import type { Readable } from 'node:stream';
import { BEHAVIOURS, type BehaviourName } from '../core/behaviours';
import type { BusEvent } from '../core/bus';
import type { CloudContext } from '../core/context';
import { InProcessHttpHandler } from '../core/in-process';
import { Router, type CallRecord } from '../core/server';
import type { Service } from '../core/service';
import { graphOf, marksOf } from './marks';
import { maskString, maskValue } from './mask';

/**
 * What the local console reads, through the AWS APIs a user's console would call (Step Functions and
 * S3, with the real SDK clients), plus the two things only the local cloud has: its call log and its
 * fault state. The API calls go through a router of their own, with no faults, rate limits or call log:
 * looking never takes a fault meant for the workflow, never counts against a rate, never shows up as a
 * call the workflow made.
 */
export interface ConsoleSources {
  ctx: CloudContext;
  /** The cloud's router: its call log and faults. */
  router: Router;
  stepFunctions: Service;
  s3: Service;
}

/** How many executions the list shows (newest first), as one ListExecutions page. */
export const LIST_LIMIT = 100;
/** How many objects one listing shows (one ListObjectsV2 page). */
export const FILE_LIMIT = 1000;

export interface RecordingRow {
  executionArn: string;
  name: string;
  status: string;
  startDate: number;
  stopDate?: number;
  meetingId?: string;
  /** How the meeting ended (AwaitMeetingEnd's result), or the execution's error name. */
  endReason?: string;
  error?: string;
}

export interface FileRow {
  bucket: string;
  key: string;
  size: number;
  lastModified?: number;
}

export class ConsoleData {
  private readonly sfn: SFNClient;
  private readonly s3: S3Client;
  /** Real-clock time each history event was first seen, by execution (AWS records only one clock). */
  private readonly realTimes = new Map<string, Map<number, number>>();

  constructor(private readonly sources: ConsoleSources) {
    const quiet = new Router(sources.ctx.region, sources.ctx.clock);
    quiet.register(sources.stepFunctions);
    quiet.register(sources.s3);
    const config = {
      endpoint: 'http://console.local',
      region: sources.ctx.region,
      credentials: { accessKeyId: 'AKIDCONSOLE', secretAccessKey: 'local' },
      forcePathStyle: true,
      maxAttempts: 1,
      requestHandler: new InProcessHttpHandler(quiet, sources.ctx.region),
    };
    this.sfn = new SFNClient(config);
    this.s3 = new S3Client(config);
  }

  /** Notes the real time of a history event as it happens (the runner's listener). */
  sawHistory(executionArn: string, eventId: number): void {
    let times = this.realTimes.get(executionArn);
    if (!times) this.realTimes.set(executionArn, (times = new Map()));
    if (!times.has(eventId)) times.set(eventId, Date.now());
  }

  /** The executions, and the simulated time now (for how long the running ones have run). */
  async recordings(): Promise<{ now: number; recordings: RecordingRow[] }> {
    const machines = (await this.sfn.send(new ListStateMachinesCommand({}))).stateMachines ?? [];
    const rows: RecordingRow[] = [];
    for (const machine of machines) {
      const page = await this.sfn.send(new ListExecutionsCommand({ stateMachineArn: machine.stateMachineArn, maxResults: LIST_LIMIT }));
      for (const e of page.executions ?? []) {
        const [described, history] = await Promise.all([this.sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn })), this.history(e.executionArn!)]);
        const meeting = stateOutput(history, 'CreateMeeting') as { chimeMeeting?: { meetingId?: string } } | undefined;
        const ended = stateOutput(history, 'AwaitMeetingEnd') as { meetingEnd?: { reason?: string } } | undefined;
        rows.push({
          executionArn: e.executionArn!,
          name: e.name!,
          status: e.status!,
          startDate: e.startDate!.getTime(),
          stopDate: e.stopDate?.getTime(),
          meetingId: meeting?.chimeMeeting?.meetingId,
          endReason: ended?.meetingEnd?.reason,
          error: described.error,
        });
      }
    }
    return { now: this.sources.ctx.clock.now(), recordings: rows.sort((a, b) => b.startDate - a.startDate).slice(0, LIST_LIMIT) };
  }

  async recording(executionArn: string) {
    const described = await this.sfn.send(new DescribeExecutionCommand({ executionArn }));
    const machine = await this.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: described.stateMachineArn }));
    const history = await this.history(executionArn);
    const graph = graphOf(machine.definition!);
    const times = this.realTimes.get(executionArn);
    return {
      now: this.sources.ctx.clock.now(),
      execution: {
        executionArn,
        name: described.name,
        status: described.status,
        startDate: described.startDate?.getTime(),
        stopDate: described.stopDate?.getTime(),
        input: described.input === undefined ? undefined : maskString(described.input),
        output: described.output === undefined ? undefined : maskString(described.output),
        error: described.error,
        cause: described.cause === undefined ? undefined : maskString(described.cause),
      },
      stateMachine: { stateMachineArn: described.stateMachineArn, name: machine.name },
      graph,
      marks: marksOf(
        graph.nodes.map((n) => n.id),
        history.map((h) => ({ ...h, type: h.type! })),
        described.status!,
      ),
      events: history.map((h) => ({ ...(maskValue(wire(h)) as Record<string, unknown>), realTime: times?.get(h.id!) })),
    };
  }

  /** The execution's files: what its output names, the finished files' prefix (with the manifest) and the raw chunk prefix. */
  async files(executionArn: string): Promise<{ artifacts: string[]; finished?: Listing; chunks?: Listing; manifest?: unknown }> {
    const history = await this.history(executionArn);
    const plan = (stateOutput(history, 'ValidateRequest') as { plan?: { capture?: Place; concatenation?: Place } } | undefined)?.plan;
    const described = await this.sfn.send(new DescribeExecutionCommand({ executionArn }));
    const output = described.output ? (JSON.parse(described.output) as { artifacts?: unknown; manifest?: unknown }) : {};
    const artifacts = Array.isArray(output.artifacts) ? output.artifacts.filter((a): a is string => typeof a === 'string') : [];
    const finished = plan?.concatenation ? await this.list(plan.concatenation) : undefined;
    const chunks = plan?.capture ? await this.list(plan.capture) : undefined;
    // Where the output says it is (with output.fileName it has a readable name, away from the prefix), else beside the files.
    const [, bucket, key] = typeof output.manifest === 'string' ? (/^s3:\/\/([^/]+)\/(.+)$/.exec(output.manifest) ?? []) : [];
    const manifestFile = bucket && key ? { bucket, key } : finished?.objects.find((o) => o.key.endsWith('/recording.json') || o.key === 'recording.json');
    let manifest: unknown;
    if (manifestFile) {
      const body = await this.object(manifestFile.bucket, manifestFile.key);
      try {
        manifest = maskValue(JSON.parse(Buffer.concat(await collect(body.body)).toString('utf8')));
      } catch {
        manifest = undefined;
      }
    }
    return { artifacts, finished, chunks, manifest };
  }

  /** One object, as GetObject answers it. */
  async object(bucket: string, key: string): Promise<{ body: Readable; contentType?: string; contentLength?: number }> {
    const out = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return { body: out.Body as Readable, contentType: out.ContentType, contentLength: out.ContentLength };
  }

  /**
   * The local call log, newest last: every call, or an execution's: those its tasks made, and those the
   * handlers of its events (below) made. Calls over the HTTP port (the AWS CLI, `lambdaTransport: 'http'`)
   * carry no caller and are only in the full log.
   */
  async calls(executionArn?: string): Promise<CallRecord[]> {
    if (!executionArn) return this.sources.router.log.slice(-FILE_LIMIT);
    const events = new Set((await this.relevantEvents(executionArn)).map((e) => e.id));
    return this.sources.router.log.filter((c) => c.caller?.executionArn === executionArn || (c.caller?.eventId !== undefined && events.has(c.caller.eventId))).slice(-FILE_LIMIT);
  }

  /** The EventBridge events the local bus delivered (or those naming the execution or its meeting), with each rule's delivery. */
  async events(executionArn?: string) {
    const bus = this.sources.ctx.bus;
    const relevant = executionArn ? await this.relevantEvents(executionArn) : bus.published;
    return relevant.slice(-FILE_LIMIT).map((event) => ({ event: maskValue(event), deliveries: bus.deliveries.filter((d) => d.eventId === event.id) }));
  }

  /** What the local cloud is told to do differently now: faults, throttling, behaviour variants. */
  faults() {
    const { ctx, router } = this.sources;
    return {
      calls: router.faults.list(),
      events: ctx.bus.listFaults(),
      rateLimits: router.rateLimits(),
      behaviours: Object.entries(ctx.behaviours).map(([name, variant]) => {
        const spec = BEHAVIOURS[name as BehaviourName];
        return { name, variant, isDefault: spec.default === variant, means: (spec.variants as Record<string, string>)[variant], question: spec.question };
      }),
    };
  }

  close(): void {
    this.sfn.destroy();
    this.s3.destroy();
  }

  private async history(executionArn: string): Promise<HistoryEvent[]> {
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }));
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return events;
  }

  private async relevantEvents(executionArn: string): Promise<BusEvent[]> {
    const meetingId = (stateOutput(await this.history(executionArn), 'CreateMeeting') as { chimeMeeting?: { meetingId?: string } } | undefined)?.chimeMeeting?.meetingId;
    return this.sources.ctx.bus.published.filter((e) => {
      const text = JSON.stringify(e);
      return text.includes(executionArn) || (meetingId !== undefined && text.includes(meetingId));
    });
  }

    private async list(place: Place): Promise<Listing> {
    const prefix = place.prefix ? `${place.prefix.replace(/\/$/, '')}/` : '';
    const page = await this.s3.send(new ListObjectsV2Command({ Bucket: place.bucket, Prefix: prefix, MaxKeys: FILE_LIMIT }));
    return {
      bucket: place.bucket,
      prefix,
      truncated: page.IsTruncated === true,
      objects: (page.Contents ?? []).map((o: _Object) => ({ bucket: place.bucket, key: o.Key!, size: o.Size ?? 0, lastModified: o.LastModified?.getTime() })),
    };
  }
}

interface Place {
  bucket: string;
  prefix: string;
}

export interface Listing {
  bucket: string;
  prefix: string;
  truncated: boolean;
  objects: FileRow[];
}

/** A history event as the wire carries it (dates as epoch milliseconds). */
function wire(h: HistoryEvent): Record<string, unknown> {
  return { ...h, timestamp: h.timestamp?.getTime() };
}

/** The last output a state exited with, parsed. */
function stateOutput(history: HistoryEvent[], state: string): unknown {
  const exited = history.findLast((h) => h.stateExitedEventDetails?.name === state);
  const output = exited?.stateExitedEventDetails?.output;
  if (!output) return undefined;
  try {
    return JSON.parse(output);
  } catch {
    return undefined;
  }
}

async function collect(body: Readable): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk as Uint8Array));
  return chunks;
}
