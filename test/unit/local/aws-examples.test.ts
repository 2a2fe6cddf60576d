import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { isDeepStrictEqual } from 'node:util';
import { XMLParser } from 'fast-xml-parser';
import { ChimeSDKMediaPipelinesClient, CreateMediaCapturePipelineCommand, DeleteMediaPipelineCommand } from '@aws-sdk/client-chime-sdk-media-pipelines';
import { ChimeSDKMeetingsClient, CreateAttendeeCommand, CreateMeetingCommand, DeleteAttendeeCommand, DeleteMeetingCommand } from '@aws-sdk/client-chime-sdk-meetings';
import { EventBridgeClient, PutEventsCommand, type PutEventsCommandInput } from '@aws-sdk/client-eventbridge';
import {
  CreateServiceLinkedRoleCommand,
  DeleteServiceLinkedRoleCommand,
  GetRoleCommand,
  GetServiceLinkedRoleDeletionStatusCommand,
  IAMClient,
  type CreateServiceLinkedRoleCommandInput,
} from '@aws-sdk/client-iam';
import {
  CreateBucketCommand,
  GetBucketLocationCommand,
  GetBucketPolicyCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  PutObjectCommand,
  S3Client,
  type BucketLocationConstraint,
} from '@aws-sdk/client-s3';
import { CreateStateMachineCommand, DescribeExecutionCommand, SFNClient, SendTaskSuccessCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { BusEvent } from '../../../local/core/bus';
import { record, startHarness, type Harness } from '../../../local/harness';
import { SERVICE_LINKED_ROLE } from '../../../local/services/media-pipelines';
import { waitFor } from '../../fixtures/async';

/**
 * AWS's own published examples (test/fixtures/aws-examples, see its README) against what the local cloud
 * answers and emits. Each fixture is compared on its own layer's terms: an SDK-shape or CLI sample
 * against the SDK's parsed output, a wire sample against the raw HTTP body, an event sample against the
 * event on the local bus. Compared are the member names (every member on both sides), the type of every
 * value, and the values themselves except ids, times, accounts and regions, and values that belong to the
 * sample's own scenario (listed, with the reason, where they are compared). Where AWS's samples disagree
 * among themselves (the README's list of disagreements, cited as "README #n"), the comment says which
 * one the local cloud follows and why; an allowance that no longer applies fails the comparison too.
 */

// ---- what the local cloud does not do yet (adding it makes this test fail until the list is updated) ----

/** Event types AWS publishes samples of that the local cloud does not emit yet. */
const NOT_YET_EMITTED_BY_THE_LOCAL_CLOUD = [
  'chime:AttendeeAuthorized',
  'chime:AttendeeCapabilitiesUpdated',
  'chime:AttendeeContentDropped',
  'chime:AttendeeContentJoined',
  'chime:AttendeeContentLeft',
  'chime:AttendeeContentVideoStarted',
  'chime:AttendeeContentVideoStopped',
  'chime:AttendeeVideoStarted',
  'chime:AttendeeVideoStopped',
  'chime:MediaPipelineResumed',
  'chime:MediaPipelineTemporaryFailure',
];

// ---- the fixtures ----

// Fixture documents are JSON of many shapes; members are read where the fixture's operation says what they are.
type Doc = any;

interface Fixture {
  /** `<service>/<name>`, e.g. `iam/GetRole-1`. */
  name: string;
  source: { title?: string; url?: string; file?: string };
  kind: string;
  operation: string;
  layer: string;
  request?: Doc;
  response?: Doc;
  event?: Doc;
}

type Layer = 'sdk' | 'cli' | 'wire' | 'wire-ish' | 'wire-spec' | 'event';

const FIXTURES_DIR = path.resolve(__dirname, '../../fixtures/aws-examples');
const fixtures = new Map<string, Fixture>(
  fs
    .readdirSync(FIXTURES_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) =>
      fs
        .readdirSync(path.join(FIXTURES_DIR, d.name))
        .filter((file) => file.endsWith('.json'))
        .map((file): [string, Fixture] => {
          const name = `${d.name}/${file.slice(0, -'.json'.length)}`;
          return [name, { ...(JSON.parse(fs.readFileSync(path.join(FIXTURES_DIR, d.name, file), 'utf8')) as Omit<Fixture, 'name'>), name }];
        }),
    )
    .sort(([a], [b]) => (a < b ? -1 : 1)),
);

/** Fixtures some test compared with the local cloud's answer (the last test checks none is left out). */
const compared = new Set<string>();

function fixture(name: string): Fixture {
  const f = fixtures.get(name);
  if (!f) throw new Error(`no fixture ${name} in ${FIXTURES_DIR}`);
  compared.add(name);
  return f;
}

function layerOf(f: Fixture): Layer {
  return f.layer.split(' ')[0] as Layer;
}

// ---- comparing ----

/** Members whose values are ids, times, accounts or regions: only their presence and type are compared. */
const IDS = new Set(['id', 'meetingId', 'attendeeId', 'externalUserId', 'externalMeetingId', 'mediaPipelineId', 'EventId', 'RoleId', 'RequestId', 'NextContinuationToken', 'ETag']);
const TIMES = new Set(['time', 'timestamp', 'startDate', 'stopDate', 'LastModified', 'CreateDate', 'LastUsedDate']);
const ACCOUNTS = new Set(['account']);
const REGIONS = new Set(['region', 'mediaRegion', 'Region', 'LocationConstraint']);

interface Allowances {
  /** Members the local cloud sends that the sample lacks, and why that is right. */
  extra?: Record<string, string>;
  /** Members of the sample the local cloud does not send, and why. */
  missing?: Record<string, string>;
  /** Values that describe the sample's own scenario rather than the service, and why. */
  scenario?: Record<string, string>;
}

/** Every member of a document by path (`a.b[0].c`), containers included. */
function flatten(value: unknown, at = '', out = new Map<string, unknown>()): Map<string, unknown> {
  out.set(at, value);
  if (Array.isArray(value)) value.forEach((v, i) => flatten(v, `${at}[${i}]`, out));
  else if (isObject(value)) for (const [k, v] of Object.entries(value)) flatten(v, at ? `${at}.${k}` : k, out);
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The member a path names (an XML element's text is its element's value). */
function memberOf(p: string): string {
  const parts = p.replace(/\[\d+\]/g, '').split('.');
  const last = parts.at(-1) ?? '';
  return last === '#text' ? (parts.at(-2) ?? '') : last;
}

/**
 * SDK and CLI layers render times in their own ways (a Date, ISO text, epoch seconds): there a time is
 * a time. On the wire and in events the encoding is the service's, so there the JSON type counts.
 */
function typeOf(value: unknown, member: string, layer: Layer): string {
  if ((layer === 'sdk' || layer === 'cli') && TIMES.has(member) && (typeof value === 'string' || typeof value === 'number')) return 'time';
  if (Array.isArray(value)) return 'array';
  return value === null ? 'null' : typeof value;
}

/** ARNs are compared without their region and account. */
function masked(value: unknown): unknown {
  return typeof value === 'string' ? value.replace(/^arn:(aws[\w-]*):([\w-]+):[\w-]*:\d*:/, 'arn:$1:$2:<region>:<account>:') : value;
}

/**
 * What differs between the local cloud's answer and AWS's sample, as readable lines (none when they
 * match): members on one side only (unless allowed), types, and values that are not ids, times, accounts,
 * regions or scenario. On the wire and in events a time's format (its digits masked) must match too.
 */
function differences(actual: unknown, sample: unknown, layer: Layer, allow: Allowances = {}): string[] {
  const ours = flatten(actual);
  const theirs = flatten(sample);
  const problems: string[] = [];
  const topmost = (paths: string[]) => paths.filter((p) => !paths.some((q) => q !== p && (p.startsWith(`${q}.`) || p.startsWith(`${q}[`))));
  const report = (what: string, paths: string[], allowed: Record<string, string> = {}) => {
    for (const p of paths) if (!(p in allowed)) problems.push(`${p}: ${what}`);
    for (const p of Object.keys(allowed)) if (!paths.includes(p)) problems.push(`${p}: allowed as ${what}, but it is not (remove the allowance)`);
  };
  report('sent by the local cloud, not in the sample', topmost([...ours.keys()].filter((p) => !theirs.has(p))), allow.extra);
  report('in the sample, not sent by the local cloud', topmost([...theirs.keys()].filter((p) => !ours.has(p))), allow.missing);
  for (const p of Object.keys(allow.scenario ?? {})) if (!ours.has(p) || !theirs.has(p)) problems.push(`${p}: listed as the sample's scenario, but not a member on both sides`);

  for (const [p, theirValue] of theirs) {
    if (!ours.has(p)) continue;
    const ourValue = ours.get(p);
    const member = memberOf(p);
    const [ourType, theirType] = [typeOf(ourValue, member, layer), typeOf(theirValue, member, layer)];
    if (ourType !== theirType) {
      problems.push(`${p}: ${ourType} ${JSON.stringify(ourValue)}, but the sample has ${theirType} ${JSON.stringify(theirValue)}`);
      continue;
    }
    if (ourType === 'object' || ourType === 'array') continue;
    if (TIMES.has(member)) {
      if (layer !== 'sdk' && layer !== 'cli') problems.push(...timeFormat(p, ourValue, theirValue));
      continue;
    }
    if (IDS.has(member) || ACCOUNTS.has(member) || REGIONS.has(member) || p in (allow.scenario ?? {})) continue;
    if (!isDeepStrictEqual(masked(ourValue), masked(theirValue))) problems.push(`${p}: ${JSON.stringify(ourValue)}, but the sample has ${JSON.stringify(theirValue)}`);
  }
  return problems;
}

/** A time's encoding: text with the same layout (digits masked), or a whole number where the sample's is one. */
function timeFormat(p: string, ours: unknown, theirs: unknown): string[] {
  if (typeof ours === 'string' && typeof theirs === 'string' && /\d/.test(theirs)) {
    const layout = (s: string) => s.replace(/\d/g, 'd');
    return layout(ours) === layout(theirs) ? [] : [`${p}: time ${ours} is not laid out as the sample's ${theirs}`];
  }
  if (typeof ours === 'number' && typeof theirs === 'number' && Number.isInteger(theirs) && !Number.isInteger(ours)) return [`${p}: ${ours} is not whole, as the sample's ${theirs} is`];
  return [];
}

/** An SDK output as the botocore examples and the CLI show it: JSON (times as ISO text), no $metadata. */
function sdkOutput(out: object): Doc {
  const { $metadata: _metadata, ...rest } = out as Record<string, unknown>;
  return JSON.parse(JSON.stringify(rest)) as Doc;
}

const xmlParser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false, trimValues: true, ignoreDeclaration: true });

function xml(body: string): Doc {
  return xmlParser.parse(body) as Doc;
}

/** Replaces the values of the named members (at any depth) in a copy of the document. */
function mapMembers(doc: Doc, fns: Record<string, (value: unknown) => unknown>): Doc {
  if (Array.isArray(doc)) return doc.map((v) => mapMembers(v, fns));
  if (!isObject(doc)) return doc;
  return Object.fromEntries(Object.entries(doc).map(([k, v]) => [k, fns[k] ? fns[k](v) : mapMembers(v, fns)]));
}

// ---- the raw HTTP answers behind SDK calls ----

interface WireAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Records each raw HTTP answer a client receives, before the SDK parses it (the body is put back for
 * the SDK). Use it on a client with `clientConfig({ transport: 'http' })`, so the answer came off a socket.
 */
function recordWire(client: { middlewareStack: unknown }): WireAnswer[] {
  const answers: WireAnswer[] = [];
  type Next = (args: unknown) => Promise<{ response: { statusCode: number; headers: Record<string, string>; body?: unknown } }>;
  const stack = client.middlewareStack as { add(middleware: (next: Next) => Next, options: { step: 'deserialize'; name: string; priority: 'low' }): void };
  stack.add(
    (next) => async (args) => {
      const out = await next(args);
      const body = await readAll(out.response.body);
      answers.push({ status: out.response.statusCode, headers: out.response.headers, body: body.toString('utf8') });
      out.response.body = Readable.from(body.length > 0 ? [body] : []);
      return out;
    },
    { step: 'deserialize', name: 'recordWireAnswer', priority: 'low' },
  );
  return answers;
}

async function readAll(body: unknown): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string' || body instanceof Uint8Array) return Buffer.from(body);
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array | string>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

function last(answers: WireAnswer[]): WireAnswer {
  const answer = answers.at(-1);
  if (!answer) throw new Error('no HTTP answer recorded');
  return answer;
}

// ---- the local cloud ----

let h: Harness;
let chime: ChimeSDKMeetingsClient;
let pipelines: ChimeSDKMediaPipelinesClient;
let iam: IAMClient;

beforeAll(async () => {
  h = await startHarness();
  chime = new ChimeSDKMeetingsClient(h.cloud.clientConfig());
  pipelines = new ChimeSDKMediaPipelinesClient(h.cloud.clientConfig());
  iam = new IAMClient(h.cloud.clientConfig());
});

afterAll(async () => {
  for (const client of [chime, pipelines, iam]) client?.destroy();
  await h?.close();
});

interface TestMeeting {
  meetingId: string;
  meetingArn: string;
}

async function createMeeting(name: string): Promise<TestMeeting> {
  const { Meeting } = await chime.send(new CreateMeetingCommand({ ClientRequestToken: name, MediaRegion: 'us-east-1', ExternalMeetingId: name }));
  return { meetingId: Meeting?.MeetingId ?? '', meetingArn: Meeting?.MeetingArn ?? '' };
}

async function createAttendee(m: TestMeeting, externalUserId: string): Promise<string> {
  const { Attendee } = await chime.send(new CreateAttendeeCommand({ MeetingId: m.meetingId, ExternalUserId: externalUserId }));
  return Attendee?.AttendeeId ?? '';
}

/** The media pipelines service-linked role, as the workflow's first step makes sure it exists. */
async function ensureMediaPipelinesRole(): Promise<void> {
  if (h.cloud.iam.roleExists(SERVICE_LINKED_ROLE)) return;
  await iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: 'mediapipelines.chime.amazonaws.com' }));
}

/** Starts a capture of the meeting into the deployment's capture bucket; resolves once it is InProgress. */
async function startCapture(m: TestMeeting): Promise<string> {
  await ensureMediaPipelinesRole();
  const { MediaCapturePipeline } = await pipelines.send(
    new CreateMediaCapturePipelineCommand({ SourceType: 'ChimeSdkMeeting', SourceArn: m.meetingArn, SinkType: 'S3Bucket', SinkArn: `arn:aws:s3:::${h.deployment.captureBucket}/aws-examples/${m.meetingId}` }),
  );
  const id = MediaCapturePipeline?.MediaPipelineId ?? '';
  await h.run(async () => {
    while (h.cloud.pipelines.pipeline(id)?.status !== 'InProgress') await h.cloud.clock.sleep(500);
  });
  return id;
}

/** Lets simulated time pass (and every event be delivered). */
async function pass(ms: number): Promise<void> {
  await h.run(async () => {
    await h.cloud.clock.sleep(ms);
    await h.cloud.bus.drain();
  });
}

// ---- events ----

const ARCHIVED_2023 = '@3c97f0efba32';
const eventSamples = [...fixtures.values()].filter((f) => f.kind === 'event');
const eventTypeOf = (f: Fixture): string => String(f.event?.detail?.eventType);

/**
 * Where AWS's event samples disagree, the local cloud follows the samples with more evidence behind them:
 * - envelope `id` (README #1): the meeting samples of the 2023 and current guide leave it out, but the
 *   2021 revision, every media pipeline sample (e.g. chime-sdk-media-pipelines/MediaPipelineInProgress-1)
 *   and the current AttendeeCapabilitiesUpdated-1 carry it, and EventBridge gives every event one;
 * - `detail.externalMeetingId` on attendee events (README #2): the current guide has it (e.g.
 *   chime-sdk-meetings/AttendeeJoined-1), the 2023 revision (AttendeeJoined-2) did not; the current one wins.
 */
function eventAllowances(f: Fixture): Allowances {
  const extra: Record<string, string> = {};
  if (!('id' in f.event)) extra.id = 'README #1: EventBridge gives every event an id; the meeting samples leave it out';
  if (eventTypeOf(f).startsWith('chime:Attendee') && !('externalMeetingId' in f.event.detail)) {
    extra['detail.externalMeetingId'] = 'README #2: attendee events carry it in the current guide; this sample is from the 2023 revision';
  }
  return { extra };
}

describe("AWS's event samples", () => {
  let emitted: BusEvent[] = [];

  beforeAll(async () => {
    const from = h.cloud.bus.published.length;
    // A recording through the workflow: two people join and leave; the capture and concatenation run.
    const execution = await record(h, { meeting: { externalMeetingId: 'aws-examples' } }, { attendees: 2 });
    if (execution.status !== 'SUCCEEDED') throw new Error(`the recording ${execution.status}: ${execution.error} ${execution.cause}`);

    // A meeting played directly: video and content shared, a capture that fails, one deleted, a person
    // who leaves and one whose connection drops, an attendee deleted, the meeting deleted.
    const m = await createMeeting('aws-examples-events');
    const ann = await createAttendee(m, 'ann');
    const bob = await createAttendee(m, 'bob');
    h.cloud.meetings.join(m.meetingId, ann, { video: true, content: true });
    h.cloud.meetings.join(m.meetingId, bob);
    h.cloud.pipelines.failPipeline(await startCapture(m), 'the sink bucket went away');
    await pipelines.send(new DeleteMediaPipelineCommand({ MediaPipelineId: await startCapture(m) }));
    await pass(5_000);
    h.cloud.meetings.leave(m.meetingId, ann, 'left');
    h.cloud.meetings.leave(m.meetingId, bob, 'dropped');
    await chime.send(new DeleteAttendeeCommand({ MeetingId: m.meetingId, AttendeeId: ann }));
    await chime.send(new DeleteMeetingCommand({ MeetingId: m.meetingId }));
    await pass(1_000);
    emitted = h.cloud.bus.published.slice(from).filter((e) => e.source === 'aws.chime');
  });

  it('emits every event type AWS has a sample of, except those not emitted yet, and no other', () => {
    const sampled = new Set(eventSamples.map(eventTypeOf));
    const types = new Set(emitted.map((e) => String(e.detail.eventType)));
    expect([...types].filter((t) => !sampled.has(t))).toEqual([]);
    expect([...sampled].filter((t) => !types.has(t)).sort()).toEqual([...NOT_YET_EMITTED_BY_THE_LOCAL_CLOUD].sort());
  });

  it("AWS's samples disagree where the README says, and nowhere else this test allows for", () => {
    const meeting = eventSamples.filter((f) => f.event['detail-type'] === 'Chime Meeting State Change');
    const pipeline = eventSamples.filter((f) => f.event['detail-type'] === 'Chime Media Pipeline State Change');
    expect(meeting.length + pipeline.length).toBe(eventSamples.length);
    // README #1: only the AttendeeCapabilitiesUpdated meeting sample has an envelope id; every pipeline sample has one.
    expect(meeting.filter((f) => 'id' in f.event).map((f) => f.name)).toEqual(['chime-sdk-meetings/AttendeeCapabilitiesUpdated-1']);
    expect(pipeline.filter((f) => !('id' in f.event)).map((f) => f.name)).toEqual([]);
    // README #2: the attendee samples without externalMeetingId are exactly those of the 2023 revision.
    const attendee = meeting.filter((f) => eventTypeOf(f).startsWith('chime:Attendee'));
    expect(attendee.filter((f) => !('externalMeetingId' in f.event.detail)).map((f) => f.name)).toEqual(attendee.filter((f) => f.source.file?.includes(ARCHIVED_2023)).map((f) => f.name));
  });

  it.each(eventSamples.filter((f) => !NOT_YET_EMITTED_BY_THE_LOCAL_CLOUD.includes(eventTypeOf(f))).map((f) => [f.name]))('%s: the same envelope, detail members, types and values', (name) => {
    const f = fixture(name);
    const events = emitted.filter((e) => e.detail.eventType === eventTypeOf(f));
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) expect(differences(event, f.event, 'event', eventAllowances(f))).toEqual([]);
  });

  it('writes ids, accounts, regions and times as the samples do', () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    const region = /^[a-z]{2}(-[a-z]+)+-\d$/;
    const check = (e: Doc) => ({
      id: e.id === undefined || uuid.test(e.id),
      account: /^\d{12}$/.test(e.account),
      region: region.test(e.region) && region.test(e.detail.mediaRegion),
      meetingId: uuid.test(e.detail.meetingId),
      timestamp: Number.isInteger(e.detail.timestamp),
      // The envelope's time is the detail's timestamp to the second, where a sample has real ones.
      time: !/\d/.test(e.time) || e.time === new Date(Math.floor(e.detail.timestamp / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
    });
    const ok = { id: true, account: true, region: true, meetingId: true, timestamp: true, time: true };
    for (const f of eventSamples) expect({ sample: f.name, ...check(f.event) }).toEqual({ sample: f.name, ...ok });
    for (const e of emitted) expect({ event: e.detail.eventType, ...check(e) }).toEqual({ event: e.detail.eventType, ...ok });
  });
});

// ---- Chime SDK answers ----

describe("AWS's Chime SDK answers", () => {
  it('DeleteMediaPipeline and DeleteMeeting answer 204 with an empty body (wire statements)', async () => {
    const chimeWire = new ChimeSDKMeetingsClient(h.cloud.clientConfig({ transport: 'http' }));
    const pipelinesWire = new ChimeSDKMediaPipelinesClient(h.cloud.clientConfig({ transport: 'http' }));
    const [meetingAnswers, pipelineAnswers] = [recordWire(chimeWire), recordWire(pipelinesWire)];
    const pipelineSample = fixture('chime-sdk-media-pipelines/DeleteMediaPipeline-1');
    const meetingSample = fixture('chime-sdk-meetings/DeleteMeeting-1');
    try {
      const m = await createMeeting('aws-examples-deletes');
      await pipelinesWire.send(new DeleteMediaPipelineCommand({ MediaPipelineId: await startCapture(m) }));
      expect({ status: last(pipelineAnswers).status, body: last(pipelineAnswers).body }).toEqual({ status: pipelineSample.response.http_status, body: pipelineSample.response.body });
      await pass(2_000);

      await chimeWire.send(new DeleteMeetingCommand({ MeetingId: m.meetingId }));
      expect({ status: last(meetingAnswers).status, body: last(meetingAnswers).body }).toEqual({ status: meetingSample.response.http_status, body: meetingSample.response.body });
      await pass(1_000);
    } finally {
      chimeWire.destroy();
      pipelinesWire.destroy();
    }
  });
});

// ---- S3 ----

/**
 * The CLI samples' bucket, amzn-s3-demo-bucket, has a prefix S3 reserves for documentation (nobody can
 * create it, and the local cloud refuses it too): here it is called this, in the policy that names it too.
 */
const CLI_BUCKET = 'example-demo-bucket';
const cliBucket = (text: string) => text.replaceAll('amzn-s3-demo-bucket', CLI_BUCKET);

describe("AWS's S3 answers", () => {
  let s3: S3Client;
  let s3Wire: S3Client;
  let answers: WireAnswer[];

  beforeAll(async () => {
    // Objects go up without a checksum, as when the samples were made: S3 now lists ChecksumAlgorithm and
    // ChecksumType for objects uploaded with one (and the SDK adds one by default), members the samples predate.
    s3 = new S3Client({ ...h.cloud.clientConfig(), requestChecksumCalculation: 'WHEN_REQUIRED', followRegionRedirects: true });
    s3Wire = new S3Client({ ...h.cloud.clientConfig({ transport: 'http' }), followRegionRedirects: true });
    answers = recordWire(s3Wire);
    // The samples' buckets, where the samples say they are: both GetBucketLocation samples answer us-west-2,
    // the legacy API reference's `quotes` is in the EU, and `policytest1` is the bucket its policy names.
    const buckets: Array<[string, string]> = [
      ['examplebucket', 'us-west-2'],
      [CLI_BUCKET, 'us-west-2'],
      ['quotes', 'eu-west-1'],
      ['policytest1', 'us-east-1'],
    ];
    for (const [bucket, region] of buckets) {
      await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: region === 'us-east-1' ? undefined : { LocationConstraint: region as BucketLocationConstraint } }));
    }
  });

  afterAll(() => {
    s3?.destroy();
    s3Wire?.destroy();
  });

  it('ListObjectsV2 (botocore): the listing of a bucket with more keys than MaxKeys', async () => {
    const f = fixture('s3/ListObjectsV2-1');
    // The sample's objects (keys and sizes), and one more after them, as the sample is truncated.
    for (const [key, size] of [['happyface.jpg', 11], ['test.jpg', 4192256], ['zebra.jpg', 1]] as const) {
      await s3.send(new PutObjectCommand({ Bucket: 'examplebucket', Key: key, Body: Buffer.alloc(size, 1) }));
    }
    const out = sdkOutput(await s3.send(new ListObjectsV2Command({ Bucket: f.request.Bucket, MaxKeys: Number(f.request.MaxKeys) })));
    // README #11: botocore writes MaxKeys and KeyCount as strings; the model (and the SDK) says integer.
    const sample = { ...f.response, MaxKeys: Number(f.response.MaxKeys), KeyCount: Number(f.response.KeyCount) };
    expect(differences(out, sample, layerOf(f))).toEqual([]);
    const etag = /^"[0-9a-f]{32}(-\d+)?"$/;
    for (const entry of [...out.Contents, ...f.response.Contents]) expect(entry.ETag).toMatch(etag);
  });

  it('ListObjectsV2 (CLI): the objects of a bucket', async () => {
    const f = fixture('s3/ListObjectsV2-2');
    for (const { Key, Size } of f.response.Contents as Array<{ Key: string; Size: number }>) {
      await s3.send(new PutObjectCommand({ Bucket: CLI_BUCKET, Key, Body: Buffer.alloc(Size, 2) }));
    }
    const out = sdkOutput(await s3.send(new ListObjectsV2Command({ Bucket: cliBucket(f.request.Bucket) })));
    // README #11: the CLI shows only Contents (it pages through the listing itself).
    expect(differences({ Contents: out.Contents }, f.response, layerOf(f))).toEqual([]);
  });

  it('GetBucketLocation (botocore, CLI): a bucket outside us-east-1', async () => {
    for (const f of [fixture('s3/GetBucketLocation-1'), fixture('s3/GetBucketLocation-2')]) {
      const out = sdkOutput(await s3.send(new GetBucketLocationCommand({ Bucket: cliBucket(f.request.Bucket) })));
      expect(differences(out, f.response, layerOf(f))).toEqual([]);
      // A region, so not compared above; the bucket was created where the sample's is.
      expect(out.LocationConstraint).toBe(f.response.LocationConstraint);
    }
  });

  it('GetBucketLocation (legacy API reference XML): the EU bucket, and a US Classic bucket', async () => {
    const [eu, classic] = [fixture('s3/GetBucketLocation-3'), fixture('s3/GetBucketLocation-4')];
    await s3Wire.send(new GetBucketLocationCommand({ Bucket: 'quotes' }));
    // README #12: `EU` is the legacy constraint of buckets created as EU; one created as eu-west-1 reports that.
    expect(differences(xml(last(answers).body), xml(eu.response.body), layerOf(eu))).toEqual([]);
    expect(xml(last(answers).body).LocationConstraint['#text']).toBe('eu-west-1');

    const out = await s3Wire.send(new GetBucketLocationCommand({ Bucket: h.deployment.captureBucket }));
    expect(differences(xml(last(answers).body), xml(classic.response.body), layerOf(classic))).toEqual([]);
    expect(out.LocationConstraint).toBeUndefined();
  });

  it('GetBucketPolicy (botocore, CLI): the policy document as a string', async () => {
    // Each policy on the bucket it names (botocore's request names examplebucket, its policy policytest1).
    for (const [f, bucket] of [
      [fixture('s3/GetBucketPolicy-1'), 'policytest1'],
      [fixture('s3/GetBucketPolicy-2'), CLI_BUCKET],
    ] as const) {
      const sample = { Policy: cliBucket(f.response.Policy) };
      expect(sample.Policy).toContain(`arn:aws:s3:::${bucket}`);
      await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: sample.Policy }));
      const out = sdkOutput(await s3.send(new GetBucketPolicyCommand({ Bucket: bucket })));
      expect(differences(out, sample, layerOf(f))).toEqual([]);
    }
  });
});

// ---- IAM ----

describe("AWS's IAM answers", () => {
  let iamWire: IAMClient;
  let answers: WireAnswer[];
  let deletionTaskId = '';

  beforeAll(() => {
    iamWire = new IAMClient(h.cloud.clientConfig({ transport: 'http' }));
    answers = recordWire(iamWire);
  });

  afterAll(() => iamWire?.destroy());

  /** A deletion task id without its own id (the last part). */
  const taskOf = (value: unknown) => String(value).replace(/\/[^/]+$/, '/<task>');
  const withoutTaskIds = (doc: Doc) => mapMembers(doc, { DeletionTaskId: taskOf });

  it('CreateServiceLinkedRole (CLI): the Lex role of the example', async () => {
    const f = fixture('iam/CreateServiceLinkedRole-1');
    const out = sdkOutput(await iam.send(new CreateServiceLinkedRoleCommand(f.request as CreateServiceLinkedRoleCommandInput)));
    // The CLI prints the trust policy decoded; the SDK hands it over URL-encoded, as it comes.
    const asCli = { ...out, Role: { ...out.Role, AssumeRolePolicyDocument: JSON.parse(decodeURIComponent(out.Role.AssumeRolePolicyDocument)) } };
    expect(differences(asCli, f.response, layerOf(f))).toEqual([]);
  });

  it('DeleteServiceLinkedRole (CLI, API reference XML): a deletion task for the role', async () => {
    const [cli, wire] = [fixture('iam/DeleteServiceLinkedRole-1'), fixture('iam/DeleteServiceLinkedRole-2')];
    const out = sdkOutput(await iamWire.send(new DeleteServiceLinkedRoleCommand({ RoleName: 'AWSServiceRoleForLexBots' })));
    deletionTaskId = out.DeletionTaskId;
    expect(differences(withoutTaskIds(out), withoutTaskIds(cli.response), layerOf(cli))).toEqual([]);
    expect(differences(withoutTaskIds(xml(last(answers).body)), withoutTaskIds(xml(wire.response.body)), layerOf(wire))).toEqual([]);
  });

  it('GetServiceLinkedRoleDeletionStatus (CLI, API reference XML): SUCCEEDED', async () => {
    const [cli, wire] = [fixture('iam/GetServiceLinkedRoleDeletionStatus-1'), fixture('iam/GetServiceLinkedRoleDeletionStatus-2')];
    await pass(3_000);
    const out = sdkOutput(await iamWire.send(new GetServiceLinkedRoleDeletionStatusCommand({ DeletionTaskId: deletionTaskId })));
    expect(differences(out, cli.response, layerOf(cli))).toEqual([]);
    expect(differences(xml(last(answers).body), xml(wire.response.body), layerOf(wire))).toEqual([]);
  });

  it('GetServiceLinkedRoleDeletionStatus (API reference XML): FAILED while the role is in use', async () => {
    const f = fixture('iam/GetServiceLinkedRoleDeletionStatus-3');
    const m = await createMeeting('aws-examples-role');
    const pipelineId = await startCapture(m);
    const { DeletionTaskId } = await iam.send(new DeleteServiceLinkedRoleCommand({ RoleName: SERVICE_LINKED_ROLE }));
    await pass(3_000);
    const out = await iamWire.send(new GetServiceLinkedRoleDeletionStatusCommand({ DeletionTaskId }));
    expect(out.Status).toBe('FAILED');
    expect(out.Reason?.RoleUsageList?.map((u) => [u.Region, u.Resources])).toEqual([['us-east-1', [h.cloud.pipelines.pipeline(pipelineId)?.mediaPipelineArn]]]);
    // README #7: the sample is not well-formed XML, so its elements are compared by name. It names the
    // failure element after its type (DeletionTaskFailureReasonType, outside the Result) and list
    // entries after theirs (RoleUsageType, Resource); the model, which the SDK parses, has Reason inside
    // the Result and IAM's <member> list entries.
    const elements = (body: string) => new Set([...body.matchAll(/<([A-Za-z]+)[\s/>]/g)].map((match) => match[1]));
    const [ours, theirs] = [elements(last(answers).body), elements(f.response.body)];
    expect([...theirs].filter((e) => !ours.has(e)).sort()).toEqual(['DeletionTaskFailureReasonType', 'Resource', 'RoleUsageType']);
    expect([...ours].filter((e) => !theirs.has(e)).sort()).toEqual(['member']);
    expect(xml(last(answers).body).GetServiceLinkedRoleDeletionStatusResponse['@xmlns']).toBe(/xmlns="([^"]+)"/.exec(f.response.body)?.[1]);

    await pipelines.send(new DeleteMediaPipelineCommand({ MediaPipelineId: pipelineId }));
    await chime.send(new DeleteMeetingCommand({ MeetingId: m.meetingId }));
    await pass(2_000);
  });

  it('GetRole (botocore, CLI, API reference XML): a role the service has used', async () => {
    // The samples show ordinary roles (Test-Role, S3Access); this is the media pipelines service-linked role.
    const [botocore, cli, wire] = [fixture('iam/GetRole-1'), fixture('iam/GetRole-2'), fixture('iam/GetRole-3')];
    const otherRole = "the sample's role is an ordinary one, this the media pipelines service-linked role";
    const placeholder = 'README #8: a placeholder (<URL-encoded-JSON>) in the sample';
    const out = sdkOutput(await iamWire.send(new GetRoleCommand({ RoleName: SERVICE_LINKED_ROLE })));
    const scenario = { 'Role.Path': otherRole, 'Role.RoleName': otherRole, 'Role.Arn': otherRole, 'Role.AssumeRolePolicyDocument': placeholder };

    expect(differences(out, botocore.response, layerOf(botocore), { scenario })).toEqual([]);
    const description = 'README #9: the samples describe different roles, only the CLI\'s has a description; the workflow creates this one without';
    expect(differences(out, cli.response, layerOf(cli), { scenario, missing: { 'Role.Description': description } })).toEqual([]);

    const role = 'GetRoleResponse.GetRoleResult.Role';
    expect(
      differences(xml(last(answers).body), xml(wire.response.body), layerOf(wire), {
        scenario: {
          [`${role}.Path`]: otherRole,
          [`${role}.RoleName`]: otherRole,
          [`${role}.Arn`]: otherRole,
          [`${role}.AssumeRolePolicyDocument`]: 'README #8: the sample shows the policy as JSON text; on the wire it is URL-encoded',
        },
        extra: { [`${role}.MaxSessionDuration`]: 'GetRole-1 and GetRole-2 have it; the API reference XML leaves it out' },
      }),
    ).toEqual([]);

    // What the values not compared above look like.
    for (const roleId of [out.Role.RoleId, botocore.response.Role.RoleId, cli.response.Role.RoleId, xml(wire.response.body).GetRoleResponse.GetRoleResult.Role.RoleId]) expect(roleId).toMatch(/^AROA[A-Z0-9]{17}$/);
    const policy = String(out.Role.AssumeRolePolicyDocument);
    expect(policy).not.toContain('{');
    expect(JSON.parse(decodeURIComponent(policy))).toMatchObject({ Version: '2012-10-17' });
    expect(out.Role.Arn).toBe(`arn:aws:iam::${h.cloud.ctx.account}:role${out.Role.Path}${out.Role.RoleName}`);
    expect(botocore.response.Role.Arn).toBe(`arn:aws:iam::123456789012:role${botocore.response.Role.Path}${botocore.response.Role.RoleName}`);
  });
});

// ---- Step Functions ----

describe("AWS's Step Functions answers", () => {
  let sfn: SFNClient;
  let sfnWire: SFNClient;
  let answers: WireAnswer[];

  /** A sample's ARN in the local cloud's region and account. */
  const local = (arn: string) => arn.replace(/^(arn:aws:states):[\w-]+:\d+:/, `$1:${h.cloud.ctx.region}:${h.cloud.ctx.account}:`);

  beforeAll(async () => {
    sfn = h.sfn;
    sfnWire = new SFNClient(h.cloud.clientConfig({ transport: 'http' }));
    answers = recordWire(sfnWire);
    // The samples' state machines: HelloWorld waits for a callback (the SendTaskSuccess sample's), its
    // task a local function that only computes; LambdaSQSIntegration just passes.
    const callback = {
      StartAt: 'Callback',
      States: {
        Callback: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Parameters: {
            FunctionName: h.cloud.lambda.arnOf('validateRequest'),
            Payload: { 'taskToken.$': '$$.Task.Token', input: { meeting: {} }, 'executionId.$': '$$.Execution.Id', 'executionName.$': '$$.Execution.Name' },
          },
          End: true,
        },
      },
    };
    const pass = { StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } };
    const roleArn = `arn:aws:iam::${h.cloud.ctx.account}:role/aws-examples`;
    await sfn.send(new CreateStateMachineCommand({ name: 'HelloWorld', definition: JSON.stringify(callback), roleArn }));
    await sfn.send(new CreateStateMachineCommand({ name: 'LambdaSQSIntegration', definition: JSON.stringify(pass), roleArn }));
  });

  afterAll(() => sfnWire?.destroy());

  async function tokenOf(executionArn: string): Promise<string> {
    let token: string | undefined;
    await h.run(() =>
      waitFor(`the task token of ${executionArn}`, () => {
        token = [...h.cloud.stepFunctions.runner.tokens].find(([, w]) => w.executionArn === executionArn && w.settle && !w.closed)?.[0];
        return token !== undefined;
      }),
    );
    return token ?? '';
  }

  it('StartExecution (API Gateway tutorial: the JSON the service answers)', async () => {
    const [f, f2] = [fixture('stepfunctions/StartExecution-1'), fixture('stepfunctions/StartExecution-2')];
    await sfnWire.send(new StartExecutionCommand({ ...f.request, stateMachineArn: local(f.request.stateMachineArn) }));
    const body = JSON.parse(last(answers).body) as Doc;
    expect(last(answers).headers['content-type']).toBe('application/x-amz-json-1.0');
    for (const sample of [f, f2]) expect(differences(body, sample.response, layerOf(sample))).toEqual([]);
    // README #13: startDate is epoch seconds on the wire (published as 1.486772644911E9).
    expect(Number.isInteger(body.startDate * 1000)).toBe(true);
  });

  it('StartExecution (CLI v1 and v2 against Step Functions Local)', async () => {
    const [v1, v2] = [fixture('stepfunctions/StartExecution-3'), fixture('stepfunctions/StartExecution-4')];
    const out = sdkOutput(await sfn.send(new StartExecutionCommand({ ...v1.request, stateMachineArn: local(v1.request.stateMachineArn) })));
    expect(differences(out, v1.response, layerOf(v1))).toEqual([]);

    // `#HappyPath` names a mocked test case, a feature of Step Functions Local only (the sample's notes).
    const stateMachineArn = local(String(v2.request.stateMachineArn).replace(/#.*$/, ''));
    expect(differences(sdkOutput(await sfn.send(new StartExecutionCommand({ ...v2.request, stateMachineArn }))), v2.response, layerOf(v2))).toEqual([]);
  });

  it('SendTaskSuccess (the guide\'s callback, the API reference\'s answer) and DescribeExecution of the finished execution', async () => {
    const request = fixture('stepfunctions/SendTaskSuccess-1');
    const answer = fixture('stepfunctions/SendTaskSuccess-2');
    const described = fixture('stepfunctions/DescribeExecution-1');
    const executionArn = local(described.request.executionArn);
    const execution = h.cloud.stepFunctions.execution(executionArn);

    await sfnWire.send(new SendTaskSuccessCommand({ ...request.request, taskToken: await tokenOf(executionArn) }));
    // The API reference says "an HTTP 200 response with an empty HTTP body"; the service sends `{}`
    // (observed in erlcloud/erlcloud#531), as every awsJson operation without output members does.
    expect(last(answers).status).toBe(answer.response.http_status);
    expect(last(answers).body).toBe('{}');

    await h.run(() => execution.done);
    expect(execution.output).toBe(request.request.output);
    const out = sdkOutput(await sfn.send(new DescribeExecutionCommand({ executionArn })));
    const helloWorld = "the sample's execution ran a hello-world function; this one returned the SendTaskSuccess sample's output";
    expect(differences(out, described.response, layerOf(described), { scenario: { output: helloWorld } })).toEqual([]);
    expect(JSON.parse(out.output)).toBe(JSON.parse(request.request.output));

    // The tutorial's execution is still waiting: finish it too.
    const myExecution = local(fixture('stepfunctions/StartExecution-1').response.executionArn);
    await sfn.send(new SendTaskSuccessCommand({ ...request.request, taskToken: await tokenOf(myExecution) }));
    await h.run(() => h.cloud.stepFunctions.execution(myExecution).done);
  });
});

// ---- EventBridge ----

describe("AWS's EventBridge answers", () => {
  it('PutEvents (CLI entries, API reference request and answer): two custom events', async () => {
    const cli = fixture('events/PutEvents-1');
    const api = fixture('events/PutEvents-2');
    expect(cli.request).toEqual(api.request.body);
    const events = new EventBridgeClient(h.cloud.clientConfig({ transport: 'http' }));
    const answers = recordWire(events);
    const from = h.cloud.bus.published.length;
    try {
      const out = await events.send(new PutEventsCommand(api.request.body as PutEventsCommandInput));
      const [statusLine = '', ...headerLines] = String(api.response.http_head).split('\n');
      const headers = Object.fromEntries(headerLines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      expect({ status: last(answers).status, contentType: last(answers).headers['content-type'] }).toEqual({ status: Number(statusLine.split(' ')[1]), contentType: headers['content-type'] });
      expect(differences(JSON.parse(last(answers).body), api.response.body, layerOf(api))).toEqual([]);
      const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
      for (const entry of [...(out.Entries ?? []), ...api.response.body.Entries]) expect(entry.EventId).toMatch(uuid);

      // The entries arrive on the bus as sent, under the ids the answer gave.
      const published = h.cloud.bus.published.slice(from);
      expect(published.map((e) => e.id)).toEqual(out.Entries?.map((e) => e.EventId));
      expect(published.map((e) => ({ source: e.source, detailType: e['detail-type'], resources: e.resources, detail: e.detail }))).toEqual(
        (cli.request.Entries as Doc[]).map((e) => ({ source: e.Source, detailType: e.DetailType, resources: e.Resources, detail: JSON.parse(e.Detail) })),
      );
    } finally {
      events.destroy();
    }
  });
});

// ---- what is not served yet, and the whole folder ----

// ---- STS ----

describe("AWS's STS answers", () => {
  it("GetCallerIdentity (botocore, CLI, API reference XML, the published request): the local account's root user", async () => {
    const sts = new STSClient(h.cloud.clientConfig({ transport: 'http' }));
    const answers = recordWire(sts);
    try {
      const account = h.cloud.ctx.account;
      const out = sdkOutput(await sts.send(new GetCallerIdentityCommand({})));
      expect(out).toEqual({ UserId: account, Account: account, Arn: `arn:aws:iam::${account}:root` });
      const caller = "the samples' callers are an IAM user, an assumed role and a federated user; the local cloud checks no credentials, so every caller is the account's root user";
      const scenario = (at: string) => ({ [`${at}Arn`]: caller, [`${at}UserId`]: caller });
      for (const n of [1, 2, 3, 4]) {
        const f = fixture(`sts/GetCallerIdentity-${n}`);
        expect(differences(out, f.response, layerOf(f), { scenario: scenario('') })).toEqual([]);
      }
      const wire = xml(last(answers).body);
      expect(last(answers).headers['content-type']).toBe('text/xml');
      for (const n of [5, 6, 7]) {
        const f = fixture(`sts/GetCallerIdentity-${n}`);
        expect(differences(wire, xml(f.response.body), layerOf(f), { scenario: scenario('GetCallerIdentityResponse.GetCallerIdentityResult.') })).toEqual([]);
      }
      // The API reference's request, as published (its signature is an example's), gets the same answer.
      const sample = fixture('sts/GetCallerIdentity-5');
      const head = String(sample.request.http_head).replace(/\n\s+/g, ' ').split('\n').slice(1);
      const headers = Object.fromEntries(
        head.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]).filter(([name]) => !['host', 'content-length', 'accept-encoding'].includes(name ?? '')),
      );
      const res = await fetch(`${h.cloud.endpoint}/`, { method: 'POST', headers, body: String(sample.request.body) });
      expect(res.status).toBe(200);
      expect(xml(await res.text()).GetCallerIdentityResponse.GetCallerIdentityResult).toEqual({ Arn: `arn:aws:iam::${account}:root`, UserId: account, Account: account });
    } finally {
      sts.destroy();
    }
  });
});

describe('the fixtures folder', () => {
  it('is compared in full: every fixture but the events not emitted yet', () => {
    const notEmitted = eventSamples.filter((f) => NOT_YET_EMITTED_BY_THE_LOCAL_CLOUD.includes(eventTypeOf(f))).map((f) => f.name);
    expect([...fixtures.keys()].filter((n) => !compared.has(n)).sort()).toEqual(notEmitted.sort());
  });
});
