import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ChimeSDKMediaPipelinesClient,
  CreateMediaCapturePipelineCommand,
  CreateMediaConcatenationPipelineCommand,
  CreateMediaLiveConnectorPipelineCommand,
  DeleteMediaPipelineCommand,
  ListMediaPipelinesCommand,
  type CreateMediaCapturePipelineCommandInput,
} from '@aws-sdk/client-chime-sdk-media-pipelines';
import { ChimeSDKMeetingsClient, DeleteMeetingCommand } from '@aws-sdk/client-chime-sdk-meetings';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CreateServiceLinkedRoleCommand, GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateBucketCommand, ListObjectsV2Command, PutBucketNotificationConfigurationCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { BEHAVIOURS, parseBehaviourFlags, resolveBehaviours, type BehaviourName, type BehaviourSettings, type Behaviours } from '../../../local/core/behaviours';
import type { BusEvent } from '../../../local/core/bus';
import { LocalCloud, type LocalCloudOptions } from '../../../local/cloud';
import { SERVICE_LINKED_ROLE, type MediaPipelineOptions } from '../../../local/services/media-pipelines';
import { failure } from '../../fixtures/async';
import { inspectMp4 } from '../../fixtures/mp4';
import {
  ACCOUNT,
  CAPTURE_GRANTS,
  captureInput,
  chunkStart,
  concatenationInput,
  grantPolicy,
  meetingWithPerson,
  pipelineEvents,
  sourceArn,
  startCapture,
  startCloud,
  status,
  type Cloud,
  type PipelinesCloud,
} from '../../fixtures/media-pipelines-cloud';

/**
 * Each variant of each behaviour AWS does not document (local/core/behaviours.ts), as a caller of the
 * local cloud sees it: SDK calls and the events on the bus. Then three things the local cloud does as AWS
 * says: one live connector per meeting, a sink role's bucket grants, and S3's Object Created events for
 * what media pipelines write (with a hexadecimal sequencer). Everything runs on virtual time.
 */

type VariantOf<B extends BehaviourName> = keyof (typeof BEHAVIOURS)[B]['variants'] & string;

/** `name=variant` for every variant a test below runs under; the last test checks none is missing. */
const covered = new Set<string>();

/** Settings with one behaviour at the given variant (the rest at their defaults), noted as covered. */
function variant<B extends BehaviourName>(name: B, value: VariantOf<B>): Partial<Behaviours> {
  covered.add(`${name}=${value}`);
  return { [name]: value };
}

/** What each test opened, closed after it. */
const opened: Array<() => Promise<void>> = [];
afterEach(async () => {
  jest.restoreAllMocks();
  for (const close of opened.splice(0).reverse()) await close();
});

async function cloudWith(behaviour: BehaviourSettings, options: MediaPipelineOptions = {}, setup: { role?: boolean } = {}): Promise<Cloud> {
  const cloud = await startCloud(options, { ...setup, behaviour });
  opened.push(() => cloud.close());
  return cloud;
}

/** A LocalCloud (every service, the real S3 among them) with the clients the media pipeline helpers use. */
async function localCloud(options: LocalCloudOptions = {}): Promise<{ cloud: LocalCloud; pc: PipelinesCloud }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'behaviours-'));
  const cloud = await LocalCloud.start({ port: 0, dataDir, chimeRateLimit: false, ...options });
  const chime = new ChimeSDKMeetingsClient(cloud.clientConfig());
  const mp = new ChimeSDKMediaPipelinesClient(cloud.clientConfig());
  opened.push(async () => {
    chime.destroy();
    mp.destroy();
    await cloud.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  const events: BusEvent[] = [];
  cloud.bus.listeners.add((e) => events.push(e));
  return { cloud, pc: { clock: cloud.clock, meetings: cloud.meetings, pipelines: cloud.pipelines, events, chime, mp } };
}

/** Moves simulated time to `at` (epoch ms), firing every timer due by then. */
async function advanceTo(cloud: PipelinesCloud, at: number): Promise<void> {
  await cloud.clock.run(cloud.clock.sleep(at - cloud.clock.now()));
}

/** What GetMediaPipeline answers: the pipeline's status, or the error's name. */
function lookup(cloud: PipelinesCloud, id: string): Promise<string> {
  return status(cloud, id).then(String, (err: Error) => err.name);
}

/** The ids ListMediaPipelines answers. */
async function listed(cloud: PipelinesCloud): Promise<string[]> {
  return ((await cloud.mp.send(new ListMediaPipelinesCommand({}))).MediaPipelines ?? []).map((p) => p.MediaPipelineId!);
}

function eventOf(cloud: PipelinesCloud, id: string, eventType: string): BusEvent | undefined {
  return cloud.events.find((e) => e.detail.mediaPipelineId === id && e.detail.eventType === eventType);
}

/**
 * A meeting with a person, captured for `captureMs`, a concatenation of the capture, and then (unless
 * `end` is false) the meeting ended, which stops the capture and starts the concatenation.
 */
async function concatenatedMeeting(cloud: PipelinesCloud, opts: { captureMs?: number; end?: boolean } = {}) {
  const meeting = await meetingWithPerson(cloud);
  const capture = await startCapture(cloud, meeting.meetingId);
  // The capture writes its chunks every simulated minute.
  await advanceTo(cloud, cloud.clock.now() + (opts.captureMs ?? 65_000));
  const concatenation = (await cloud.mp.send(new CreateMediaConcatenationPipelineCommand(concatenationInput(capture.MediaPipelineArn!)))).MediaConcatenationPipeline!;
  if (opts.end !== false) await cloud.chime.send(new DeleteMeetingCommand({ MeetingId: meeting.meetingId }));
  return { ...meeting, captureId: capture.MediaPipelineId!, concatenationId: concatenation.MediaPipelineId! };
}

/** Moves time on until the concatenation has written its files (what it does next is up to the behaviours). */
function filesWritten(cloud: PipelinesCloud, id: string): Promise<void> {
  return cloud.clock.until(() => cloud.pipelines.pipeline(id)?.outputs !== undefined, `concatenation ${id}'s files`);
}

/** Moves time on until GetMediaPipeline answers InProgress: the concatenation is joining the chunks. */
function joining(cloud: PipelinesCloud, id: string): Promise<void> {
  return cloud.clock.until(async () => (await lookup(cloud, id)) === 'InProgress', `concatenation ${id} InProgress`);
}

const joinedAudio = (id: string) => `joined/audio/${id}.mp4`;
const deleteRequest = (id: string) => new DeleteMediaPipelineCommand({ MediaPipelineId: id });

/** A cloud with these behaviours, and a concatenation (of a meeting captured, then ended) that has written its files. */
async function concatenated(behaviour: BehaviourSettings) {
  const cloud = await cloudWith(behaviour);
  const m = await concatenatedMeeting(cloud);
  await filesWritten(cloud, m.concatenationId);
  return { cloud, m, id: m.concatenationId };
}

/** A cloud with these behaviours, and a concatenation (of a meeting captured, then ended) now InProgress. */
async function joiningConcatenation(behaviour: BehaviourSettings): Promise<{ cloud: Cloud; id: string }> {
  const cloud = await cloudWith(behaviour);
  const { concatenationId: id } = await concatenatedMeeting(cloud);
  await joining(cloud, id);
  return { cloud, id };
}

/** A concatenation that finished: its files under the sink, then Stopped with its chime:MediaPipelineDeleted. */
async function expectFinished(cloud: Cloud, id: string): Promise<void> {
  await filesWritten(cloud, id);
  expect(cloud.s3.keys('concat-bucket', 'joined/')).toContain(joinedAudio(id));
  expect(await lookup(cloud, id)).toBe('Stopped');
  expect(pipelineEvents(cloud, id)).toEqual(['chime:MediaPipelineInProgress', 'chime:MediaPipelineDeleted']);
}

/** A pipeline DeleteMediaPipeline was carried out on: Stopping, then its chime:MediaPipelineDeleted, then NotFoundException. */
async function expectDeleted(cloud: Cloud, id: string): Promise<void> {
  expect(await lookup(cloud, id)).toBe('Stopping');
  await cloud.clock.until(() => eventOf(cloud, id, 'chime:MediaPipelineDeleted') !== undefined, `${id}'s MediaPipelineDeleted`);
  expect(await lookup(cloud, id)).toBe('NotFoundException');
}

/** The detail of a chime:MediaPipelineDeleted published now, with `meeting`'s members. */
function deletedNow(cloud: Cloud, id: string, meeting: { meetingId?: string; externalMeetingId?: string }) {
  return { version: '0', eventType: 'chime:MediaPipelineDeleted', timestamp: Math.floor(cloud.clock.now()), ...meeting, mediaPipelineId: id, mediaRegion: 'us-east-1' };
}

describe("concatenation-completion-event: what a concatenation's chime:MediaPipelineDeleted carries", () => {
  const withMeetingId = variant('concatenation-completion-event', 'with-meeting-id');
  const withoutMeetingId = variant('concatenation-completion-event', 'without-meeting-id');
  const notSent = variant('concatenation-completion-event', 'not-sent');

  it('with-meeting-id: sent when it stops, with the meeting id and external meeting id of its capture', async () => {
    const { cloud, m, id } = await concatenated(withMeetingId);
    expect(eventOf(cloud, id, 'chime:MediaPipelineDeleted')?.detail).toEqual(deletedNow(cloud, id, { meetingId: m.meetingId, externalMeetingId: m.externalMeetingId }));
  });

  it("without-meeting-id: sent with its mediaPipelineId but no meetingId or externalMeetingId; the capture's still has them", async () => {
    const { cloud, m, id } = await concatenated(withoutMeetingId);
    expect(eventOf(cloud, id, 'chime:MediaPipelineDeleted')?.detail).toEqual(deletedNow(cloud, id, {}));
    expect(eventOf(cloud, m.captureId, 'chime:MediaPipelineDeleted')?.detail).toMatchObject({ meetingId: m.meetingId, externalMeetingId: m.externalMeetingId });
  });

  it("not-sent: the concatenation stops without a chime:MediaPipelineDeleted, though its capture's is sent", async () => {
    const { cloud, m, id } = await concatenated(notSent);
    expect(await lookup(cloud, id)).toBe('Stopped');
    expect(pipelineEvents(cloud, id)).toEqual(['chime:MediaPipelineInProgress']);
    expect(pipelineEvents(cloud, m.captureId)).toEqual(['chime:MediaPipelineInProgress', 'chime:MediaPipelineDeleted']);
  });
});

describe('stopped-pipeline-lookup: what GetMediaPipeline answers once a pipeline has stopped', () => {
  const forAWhile = variant('stopped-pipeline-lookup', 'stopped-for-a-while');
  const notFound = variant('stopped-pipeline-lookup', 'not-found');

  /** Get (and List) show the pipeline Stopped until five minutes after `stoppedAt`, then no more. */
  async function expectStoppedForFiveMinutes(cloud: Cloud, id: string, stoppedAt: number): Promise<void> {
    expect(await lookup(cloud, id)).toBe('Stopped');
    await advanceTo(cloud, stoppedAt + 299_000);
    expect([await lookup(cloud, id), (await listed(cloud)).includes(id)]).toEqual(['Stopped', true]);
    await advanceTo(cloud, stoppedAt + 300_000);
    expect([await lookup(cloud, id), (await listed(cloud)).includes(id)]).toEqual(['NotFoundException', false]);
  }

  it('stopped-for-a-while: a concatenation that has stopped answers Stopped for five simulated minutes, then NotFoundException', async () => {
    const { cloud, id } = await concatenated(forAWhile);
    await expectStoppedForFiveMinutes(cloud, id, cloud.clock.now());
  });

  it("stopped-for-a-while: so does a capture its meeting's end stopped", async () => {
    const cloud = await cloudWith(forAWhile);
    const { meetingId } = await meetingWithPerson(cloud);
    const id = (await startCapture(cloud, meetingId)).MediaPipelineId!;
    await cloud.chime.send(new DeleteMeetingCommand({ MeetingId: meetingId }));
    await expectStoppedForFiveMinutes(cloud, id, cloud.clock.now());
  });

  it('not-found: NotFoundException as soon as a capture or a concatenation stops', async () => {
    const cloud = await cloudWith(notFound);
    const m = await concatenatedMeeting(cloud, { end: false });
    expect(await lookup(cloud, m.captureId)).toBe('InProgress');
    await cloud.chime.send(new DeleteMeetingCommand({ MeetingId: m.meetingId }));
    expect(await lookup(cloud, m.captureId)).toBe('NotFoundException');
    await joining(cloud, m.concatenationId);
    await filesWritten(cloud, m.concatenationId);
    // It did stop (and said so), and is gone at once.
    expect(eventOf(cloud, m.concatenationId, 'chime:MediaPipelineDeleted')).toBeDefined();
    expect(await lookup(cloud, m.concatenationId)).toBe('NotFoundException');
    expect(await listed(cloud)).not.toContain(m.concatenationId);
  });
});

describe('concatenation-end-status: whether a concatenation that has written its files stops', () => {
  const stops = variant('concatenation-end-status', 'stops');
  const staysInProgress = variant('concatenation-end-status', 'stays-in-progress');

  it('stops: writes its files under the sink, then Stopped, with its chime:MediaPipelineDeleted', async () => {
    const { cloud, id } = await concatenated(stops);
    await expectFinished(cloud, id);
  });

  it('stays-in-progress: writes its files under the sink, then is still InProgress an hour later, with no event after InProgress', async () => {
    const { cloud, id } = await concatenated(staysInProgress);
    expect((await cloud.s3.getObject('concat-bucket', joinedAudio(id)))!.length).toBeGreaterThan(0);
    await advanceTo(cloud, cloud.clock.now() + 3_600_000);
    expect(await lookup(cloud, id)).toBe('InProgress');
    expect(pipelineEvents(cloud, id)).toEqual(['chime:MediaPipelineInProgress']);
  });
});

describe('concatenation-deletion: what DeleteMediaPipeline does to a running concatenation', () => {
  const conflict = variant('concatenation-deletion', 'conflict');
  const keepsRunning = variant('concatenation-deletion', 'accepted-keeps-running');
  const stops = variant('concatenation-deletion', 'stops');
  const staysInProgress = variant('concatenation-end-status', 'stays-in-progress');

  it('conflict: refused with ConflictException (409); the concatenation still writes its files and stops', async () => {
    const { cloud, id } = await joiningConcatenation(conflict);
    expect(await failure(cloud.mp.send(deleteRequest(id)))).toMatchObject({ name: 'ConflictException', status: 409 });
    expect(await lookup(cloud, id)).toBe('InProgress');
    await expectFinished(cloud, id);
  });

  it('accepted-keeps-running: answers 204, yet the concatenation stays InProgress, counted as kept running, writes its files and stops by itself', async () => {
    const { cloud, id } = await joiningConcatenation(keepsRunning);
    expect((await cloud.mp.send(deleteRequest(id))).$metadata.httpStatusCode).toBe(204);
    expect(await lookup(cloud, id)).toBe('InProgress');
    // What LocalCloud.keptRunning() counts: active, though someone asked to delete it.
    expect(cloud.pipelines.activePipelines().filter((p) => p.deletionRequested).map((p) => p.mediaPipelineId)).toEqual([id]);
    await expectFinished(cloud, id);
  });

  it('accepted-keeps-running with stays-in-progress: still running an hour later, until endKeptRunning() ends it as AWS eventually would', async () => {
    const { cloud, id } = await joiningConcatenation({ ...keepsRunning, ...staysInProgress });
    await cloud.mp.send(deleteRequest(id));
    await filesWritten(cloud, id);
    await advanceTo(cloud, cloud.clock.now() + 3_600_000);
    expect(await lookup(cloud, id)).toBe('InProgress');
    expect(cloud.pipelines.endKeptRunning()).toBe(1);
    expect([await lookup(cloud, id), pipelineEvents(cloud, id)]).toEqual(['NotFoundException', ['chime:MediaPipelineInProgress', 'chime:MediaPipelineDeleted']]);
    expect(cloud.pipelines.activePipelines()).toEqual([]);
  });

  it('stops: answers 204 and the concatenation stops like a deleted capture: Stopping, its chime:MediaPipelineDeleted, then gone', async () => {
    const { cloud, id } = await joiningConcatenation(stops);
    expect((await cloud.mp.send(deleteRequest(id))).$metadata.httpStatusCode).toBe(204);
    await expectDeleted(cloud, id);
    expect(cloud.pipelines.activePipelines()).toEqual([]);
  });

  it.each([
    ['conflict', conflict],
    ['accepted-keeps-running', keepsRunning],
    ['stops', stops],
  ])('%s: deleting a capture is unaffected (204, Stopping, its chime:MediaPipelineDeleted, then gone)', async (_name, deletion) => {
    const cloud = await cloudWith(deletion);
    const { meetingId } = await meetingWithPerson(cloud);
    const id = (await startCapture(cloud, meetingId)).MediaPipelineId!;
    expect((await cloud.mp.send(deleteRequest(id))).$metadata.httpStatusCode).toBe(204);
    await expectDeleted(cloud, id);
  });
});

describe('role-propagation: creating a pipeline right after the service-linked role was created', () => {
  const refused = variant('role-propagation', 'refused-for-a-while');
  const none = variant('role-propagation', 'none');

  /** A cloud whose service-linked role is created now, with a meeting to capture. */
  async function newRole(behaviour: BehaviourSettings, options: MediaPipelineOptions = {}) {
    const cloud = await cloudWith(behaviour, options, { role: false });
    const { meetingId } = await meetingWithPerson(cloud);
    cloud.iam.createRole(SERVICE_LINKED_ROLE);
    const create = () => cloud.mp.send(new CreateMediaCapturePipelineCommand(captureInput(meetingId)));
    return { cloud, createdAt: cloud.clock.now(), create };
  }

  it('refused-for-a-while: ForbiddenException (403), worded more than one way, until rolePropagationMs has passed; then accepted', async () => {
    const { cloud, createdAt, create } = await newRole(refused, { rolePropagationMs: 60_000 });
    const refusals = [];
    for (let i = 0; i < 20; i += 1) refusals.push(await failure(create()));
    expect(refusals.filter((r) => r.name !== 'ForbiddenException' || r.status !== 403)).toEqual([]);
    expect(new Set(refusals.map((r) => r.message)).size).toBeGreaterThanOrEqual(2);
    await advanceTo(cloud, createdAt + 59_999);
    expect(await failure(create())).toMatchObject({ name: 'ForbiddenException', status: 403 });
    await advanceTo(cloud, createdAt + 60_000);
    expect((await create()).$metadata.httpStatusCode).toBe(201);
  });

  it('refused-for-a-while: by default refused at first, and accepted three simulated minutes after the role was created', async () => {
    const { cloud, createdAt, create } = await newRole(refused);
    expect(await failure(create())).toMatchObject({ name: 'ForbiddenException', status: 403 });
    await advanceTo(cloud, createdAt + 180_000);
    expect((await create()).$metadata.httpStatusCode).toBe(201);
  });

  it('refused-for-a-while: by default, even at the top of its random range, the refusal ends within three minutes', async () => {
    jest.spyOn(Math, 'random').mockReturnValue(0.999_999_9);
    const { cloud, createdAt, create } = await newRole(refused);
    await advanceTo(cloud, createdAt + 179_999);
    expect(await failure(create())).toMatchObject({ name: 'ForbiddenException', status: 403 });
    await advanceTo(cloud, createdAt + 180_000);
    expect((await create()).$metadata.httpStatusCode).toBe(201);
  });

  it('none: the new role works at once', async () => {
    const { create } = await newRole(none);
    expect((await create()).$metadata.httpStatusCode).toBe(201);
  });
});

describe('pipeline-interruptions: temporary failures of a running capture', () => {
  const interrupted = variant('pipeline-interruptions', 'temporary-failure-then-resumed');
  const none = variant('pipeline-interruptions', 'none');

  /** Captures a meeting for 152 simulated seconds: the capture's events, when it started, and its audio chunks' start times. */
  async function captureForAWhile(cloud: Cloud) {
    const { meetingId } = await meetingWithPerson(cloud);
    const id = (await startCapture(cloud, meetingId)).MediaPipelineId!;
    const startedAt = cloud.clock.now();
    await advanceTo(cloud, startedAt + 152_000);
    await cloud.chime.send(new DeleteMeetingCommand({ MeetingId: meetingId }));
    const stoppedAt = cloud.clock.now();
    const chunkStarts = () => cloud.s3.keys('capture-bucket', `captures/${meetingId}/audio/`).map((k) => chunkStart(path.basename(k, '.mp4')));
    await cloud.clock.until(() => chunkStarts().some((t) => t + 5000 >= stoppedAt), 'the last chunk');
    const events = cloud.events.filter((e) => e.detail.mediaPipelineId === id);
    const after = (eventType: string) => Number(events.find((e) => e.detail.eventType === eventType)?.detail.timestamp) - startedAt;
    return { types: events.map((e) => e.detail.eventType), after, startedAt, chunkStarts: chunkStarts() };
  }

  /** Every five seconds from the capture's start to its stop, none missing. */
  function expectEveryChunk(chunkStarts: number[], startedAt: number): void {
    expect(Math.abs(chunkStarts[0]! - startedAt)).toBeLessThanOrEqual(1000);
    expect(chunkStarts).toEqual(Array.from({ length: 31 }, (_, i) => chunkStarts[0]! + i * 5000));
  }

  it('temporary-failure-then-resumed: chime:MediaPipelineTemporaryFailure a minute in, chime:MediaPipelineResumed half a minute later, no chunk lost', async () => {
    const cloud = await cloudWith(interrupted);
    const capture = await captureForAWhile(cloud);
    expect(capture.types).toEqual(['chime:MediaPipelineInProgress', 'chime:MediaPipelineTemporaryFailure', 'chime:MediaPipelineResumed', 'chime:MediaPipelineDeleted']);
    expect(capture.after('chime:MediaPipelineTemporaryFailure')).toBeGreaterThanOrEqual(55_000);
    expect(capture.after('chime:MediaPipelineTemporaryFailure')).toBeLessThanOrEqual(65_000);
    expect(capture.after('chime:MediaPipelineResumed') - capture.after('chime:MediaPipelineTemporaryFailure')).toBeGreaterThanOrEqual(25_000);
    expect(capture.after('chime:MediaPipelineResumed') - capture.after('chime:MediaPipelineTemporaryFailure')).toBeLessThanOrEqual(35_000);
    expectEveryChunk(capture.chunkStarts, capture.startedAt);
  });

  it('none: no temporary failure in two and a half minutes of capture', async () => {
    const cloud = await cloudWith(none);
    const capture = await captureForAWhile(cloud);
    expect(capture.types).toEqual(['chime:MediaPipelineInProgress', 'chime:MediaPipelineDeleted']);
    expectEveryChunk(capture.chunkStarts, capture.startedAt);
  });
});

describe("event-delivery: when an EventBridge rule's target gets events", () => {
  const late = variant('event-delivery', 'late-and-out-of-order');
  const prompt = variant('event-delivery', 'prompt');

  /** Puts 40 events a simulated second apart (EventBridge PutEvents) and records when the rule's target gets each. */
  async function deliveries(behaviour: BehaviourSettings) {
    const { cloud } = await localCloud({ behaviour });
    const got: Array<{ n: number; at: number }> = [];
    cloud.bus.addRule({ name: 'ticks', pattern: { source: ['test.ticks'] }, target: async (e) => void got.push({ n: Number(e.detail.n), at: cloud.clock.now() }) });
    const events = new EventBridgeClient(cloud.clientConfig());
    const putAt: number[] = [];
    try {
      await cloud.fastForward(
        (async () => {
          for (let n = 0; n < 40; n += 1) {
            putAt.push(cloud.clock.now());
            const out = await events.send(new PutEventsCommand({ Entries: [{ Source: 'test.ticks', DetailType: 'Tick', Detail: JSON.stringify({ n }) }] }));
            expect(out.FailedEntryCount).toBe(0);
            await cloud.clock.sleep(1000);
          }
          await cloud.bus.drain();
        })(),
      );
    } finally {
      events.destroy();
    }
    expect(got.map((d) => d.n).sort((a, b) => a - b)).toEqual([...putAt.keys()]);
    return { order: got.map((d) => d.n), delays: got.map((d) => d.at - putAt[d.n]!) };
  }

  it('late-and-out-of-order: each delivered once, up to 30 simulated seconds after it was put, so later events overtake earlier ones', async () => {
    const { order, delays } = await deliveries(late);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThanOrEqual(30_000);
    expect(Math.max(...delays)).toBeGreaterThan(1000);
    expect(order).not.toEqual([...order].sort((a, b) => a - b));
  });

  it('prompt: each delivered once, when it was put, in order', async () => {
    const { order, delays } = await deliveries(prompt);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(new Set(delays)).toEqual(new Set([0]));
  });
});

describe('eventbridge-retry-delay', () => {
  // Tested in event-rules.test.ts ('delivery retries'), under each of these.
  const tested = [variant('eventbridge-retry-delay', 'seconds'), variant('eventbridge-retry-delay', 'minutes')];

  it('has the two variants event-rules.test.ts runs a failing delivery under (tested there, not here)', () => {
    expect(tested.map((s) => s['eventbridge-retry-delay'])).toEqual(Object.keys(BEHAVIOURS['eventbridge-retry-delay'].variants));
  });
});

describe('one live connector per meeting', () => {
  const live = (meetingId: string) =>
    new CreateMediaLiveConnectorPipelineCommand({
      Sources: [{ SourceType: 'ChimeSdkMeeting', ChimeSdkMeetingLiveConnectorConfiguration: { Arn: sourceArn(meetingId), MuxType: 'AudioWithActiveSpeakerVideo' } }],
      Sinks: [{ SinkType: 'RTMP', RTMPConfiguration: { Url: 'rtmps://live.example.com/app/sk_live_ONE' } }],
    });

  it('a second CreateMediaLiveConnectorPipeline for the meeting is refused (ResourceLimitExceededException) until the first has stopped; captures and other meetings are unaffected', async () => {
    const cloud = await cloudWith({});
    const { meetingId } = await meetingWithPerson(cloud);
    const first = (await cloud.mp.send(live(meetingId))).MediaLiveConnectorPipeline!.MediaPipelineId!;
    const second = await failure(cloud.mp.send(live(meetingId)));
    expect(second).toMatchObject({ name: 'ResourceLimitExceededException', status: 400 });
    expect(second.message).toContain(meetingId);
    const other = await meetingWithPerson(cloud);
    expect((await cloud.mp.send(live(other.meetingId))).$metadata.httpStatusCode).toBe(201);
    expect((await cloud.mp.send(new CreateMediaCapturePipelineCommand(captureInput(meetingId)))).$metadata.httpStatusCode).toBe(201);
    // Being deleted (Stopping) it still counts; once stopped, the meeting may have another.
    await cloud.clock.until(async () => (await lookup(cloud, first)) === 'InProgress', 'live connector InProgress');
    await cloud.mp.send(deleteRequest(first));
    expect(await failure(cloud.mp.send(live(meetingId)))).toMatchObject({ name: 'ResourceLimitExceededException' });
    await cloud.clock.until(() => eventOf(cloud, first, 'chime:MediaPipelineDeleted') !== undefined, 'the first stopped');
    expect((await cloud.mp.send(live(meetingId))).$metadata.httpStatusCode).toBe(201);
  });
});

describe('a capture writing as its sink role (SSE-KMS with SinkIamRoleArn)', () => {
  const ROLE = `arn:aws:iam::${ACCOUNT}:role/recording-sink`;
  const sse = (bucket: string): Partial<CreateMediaCapturePipelineCommandInput> => ({
    SinkArn: `arn:aws:s3:::${bucket}/captures`,
    SseAwsKeyManagementParams: { AwsKmsKeyId: `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab` },
    SinkIamRoleArn: ROLE,
  });
  const allowRole = (bucket: string, actions: string[]) => ({ Effect: 'Allow', Principal: { AWS: ROLE }, Action: actions, Resource: `arn:aws:s3:::${bucket}/*` });

  async function cloudWithBucket(bucket: string, policy: string) {
    const cloud = await cloudWith({});
    cloud.iam.createRole('recording-sink');
    cloud.s3.addBucket({ name: bucket, region: 'us-east-1', policy });
    const { meetingId } = await meetingWithPerson(cloud);
    return { cloud, create: (overrides: Partial<CreateMediaCapturePipelineCommandInput>) => cloud.mp.send(new CreateMediaCapturePipelineCommand(captureInput(meetingId, overrides))) };
  }

  it.each([
    ['grants the service but not the role', (b: string) => grantPolicy(b, CAPTURE_GRANTS), [ROLE, 's3:PutObject on']],
    ['grants the role s3:PutObject but not s3:PutObjectAcl', (b: string) => grantPolicy(b, CAPTURE_GRANTS, [allowRole(b, ['s3:PutObject'])]), [ROLE, 's3:PutObjectAcl']],
    [
      'grants the role but not the service',
      (b: string) => JSON.stringify({ Version: '2012-10-17', Statement: [allowRole(b, ['s3:PutObject', 's3:PutObjectAcl'])] }),
      ['mediapipelines.chime.amazonaws.com', 's3:PutObject on'],
    ],
  ])('is refused (BadRequestException) when the bucket policy %s, naming who lacks what', async (_what, policy, named) => {
    const { create } = await cloudWithBucket('kms-sink', policy('kms-sink'));
    const err = await failure(create(sse('kms-sink')));
    expect(err).toMatchObject({ name: 'BadRequestException', status: 400 });
    for (const part of named) expect(err.message).toContain(part);
  });

  it("is accepted when the bucket policy grants the role the service's writes too; without SSE-KMS the role needs nothing", async () => {
    const { create } = await cloudWithBucket('kms-sink', grantPolicy('kms-sink', CAPTURE_GRANTS, [allowRole('kms-sink', ['s3:PutObject', 's3:PutObjectAcl'])]));
    expect((await create(sse('kms-sink'))).$metadata.httpStatusCode).toBe(201);
    const plain = await cloudWithBucket('plain-sink', grantPolicy('plain-sink', CAPTURE_GRANTS));
    expect((await plain.create({ SinkArn: 'arn:aws:s3:::plain-sink/captures' })).$metadata.httpStatusCode).toBe(201);
  });
});

describe("S3's Object Created events", () => {
  it('come for what media pipelines write into a bucket with EventBridge notifications only once five simulated minutes have passed since they were enabled, and never for a bucket without', async () => {
    const { cloud, pc } = await localCloud();
    const iam = new IAMClient(cloud.clientConfig());
    const s3 = new S3Client(cloud.clientConfig());
    opened.push(async () => {
      iam.destroy();
      s3.destroy();
    });
    await iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: 'mediapipelines.chime.amazonaws.com' }));
    await cloud.createBucket('capture-bucket', { captureSink: true, concatenationSink: false });
    await cloud.createBucket('concat-bucket', { captureSink: false, concatenationSink: true });
    await s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: 'concat-bucket', NotificationConfiguration: { EventBridgeConfiguration: {} } }));
    const enabledAt = cloud.clock.now();
    const keys = async (bucket: string, prefix: string) => ((await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!);
    const created = () => pc.events.filter((e) => e['detail-type'] === 'Object Created');

    // Files written four minutes after enabling: no event yet.
    const early = await concatenatedMeeting(pc, { captureMs: 240_000 });
    await filesWritten(pc, early.concatenationId);
    expect(cloud.clock.now()).toBeLessThan(enabledAt + 300_000);
    expect(await keys('concat-bucket', 'joined/')).toContain(joinedAudio(early.concatenationId));
    expect(created()).toEqual([]);

    await advanceTo(pc, enabledAt + 300_000);
    const later = await concatenatedMeeting(pc);
    await filesWritten(pc, later.concatenationId);
    const files = (await keys('concat-bucket', 'joined/')).filter((k) => k.includes(later.concatenationId));
    expect(files.length).toBeGreaterThan(0);
    expect(created().map((e) => (e.detail.object as { key: string }).key).sort()).toEqual(files.sort());
    for (const e of created()) {
      expect(e).toMatchObject({ source: 'aws.s3', resources: ['arn:aws:s3:::concat-bucket'], detail: { bucket: { name: 'concat-bucket' }, requester: 'mediapipelines.chime.amazonaws.com', reason: 'PutObject' } });
    }
    // The capture bucket has no EventBridge notifications: its chunks, before and after, sent nothing.
    expect(await keys('capture-bucket', `captures/${later.meetingId}/audio/`)).not.toEqual([]);
  });

  it('carry a hexadecimal sequencer, later for a later write, though simulated time has moved by a fraction of a millisecond', async () => {
    const { cloud, pc } = await localCloud();
    const s3 = new S3Client(cloud.clientConfig());
    opened.push(async () => s3.destroy());
    await s3.send(new CreateBucketCommand({ Bucket: 'notified' }));
    await s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: 'notified', NotificationConfiguration: { EventBridgeConfiguration: {} } }));
    const sequencers: string[] = [];
    // As an EventBridge retry's jittered backoff, or a late delivery, moves it.
    for (const pause of [300_000.4, 1.3]) {
      await advanceTo(pc, cloud.clock.now() + pause);
      await s3.send(new PutObjectCommand({ Bucket: 'notified', Key: 'same-key', Body: 'x' }));
      sequencers.push(String((pc.events.at(-1)?.detail.object as { sequencer?: string } | undefined)?.sequencer));
    }
    expect(sequencers).toEqual([expect.stringMatching(/^[0-9A-F]{16}$/), expect.stringMatching(/^[0-9A-F]{16}$/)]);
    expect(sequencers[1]! > sequencers[0]!).toBe(true);
  });
});

describe("iam-get-missing-role: what IAM's GetRole answers for a role that does not exist", () => {
  const noSuchEntity = variant('iam-get-missing-role', 'no-such-entity');
  const accessDenied = variant('iam-get-missing-role', 'access-denied');

  /** What GetRole answers for the media pipelines' service-linked role before it exists, and once it does. */
  async function getRole(behaviour: BehaviourSettings): Promise<{ missing: { name: string; status?: number }; created?: string }> {
    const { cloud } = await localCloud({ behaviour });
    const iam = new IAMClient(cloud.clientConfig());
    try {
      const err = await failure(iam.send(new GetRoleCommand({ RoleName: SERVICE_LINKED_ROLE })));
      await iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: 'mediapipelines.chime.amazonaws.com' }));
      const created = (await iam.send(new GetRoleCommand({ RoleName: SERVICE_LINKED_ROLE }))).Role?.RoleName;
      return { missing: { name: err.name, status: err.status }, created };
    } finally {
      iam.destroy();
    }
  }

  it('no-such-entity: NoSuchEntity (404) while the role is missing, the role once created', async () => {
    expect(await getRole(noSuchEntity)).toEqual({ missing: { name: 'NoSuchEntityException', status: 404 }, created: SERVICE_LINKED_ROLE });
  });

  it('access-denied: AccessDenied (403) while the role is missing, as to a caller not allowed to read it; the role once created', async () => {
    expect(await getRole(accessDenied)).toEqual({ missing: { name: 'AccessDenied', status: 403 }, created: SERVICE_LINKED_ROLE });
  });
});

describe("meeting-events-present-at-start: whether a capture's meeting-events list those connected before it started", () => {
  const listed = variant('meeting-events-present-at-start', 'listed-at-start');
  const afterStart = variant('meeting-events-present-at-start', 'after-start-only');

  /**
   * A person connected before the capture, who leaves 20 s into it: the capture's start (its first audio
   * chunk's name), the leave's time, and the meeting-events lines as [EventType, AttendeeId, Timestamp].
   */
  async function meetingEvents(behaviour: BehaviourSettings) {
    const cloud = await cloudWith(behaviour);
    const { meetingId, attendeeId } = await meetingWithPerson(cloud);
    await startCapture(cloud, meetingId);
    await advanceTo(cloud, cloud.clock.now() + 20_000);
    const leftAt = cloud.clock.now();
    cloud.meetings.leave(meetingId, attendeeId, 'left');
    // The capture writes what it has every simulated minute.
    await advanceTo(cloud, cloud.clock.now() + 65_000);
    const prefix = `captures/${meetingId}/`;
    const firstAudio = cloud.s3.keys('capture-bucket', `${prefix}audio/`).sort()[0]!;
    const startedAt = chunkStart(firstAudio.slice(`${prefix}audio/`.length, -'.mp4'.length));
    const bodies = await Promise.all(cloud.s3.keys('capture-bucket', `${prefix}meeting-events/`).sort().map((k) => cloud.s3.getObject('capture-bucket', k)));
    const lines = bodies
      .flatMap((b) => b!.toString().trim().split('\n'))
      .map((l) => JSON.parse(l) as { Timestamp: string; EventType: string; EventParameters: { AttendeeId: string } })
      .map((l) => [l.EventType, l.EventParameters.AttendeeId, l.Timestamp]);
    return { attendeeId, startedAt, leftAt, lines };
  }

  /** As the lines users have posted stamp it: 2022-12-18T06:11:45.284+00:00. */
  const stamp = (ms: number) => new Date(ms).toISOString().replace('Z', '+00:00');

  it("listed-at-start: an AttendeeJoined line at the capture's start for the person already there, then the leave", async () => {
    const { attendeeId, startedAt, leftAt, lines } = await meetingEvents(listed);
    expect(lines).toEqual([
      ['AttendeeJoined', attendeeId, stamp(startedAt)],
      ['AttendeeLeft', attendeeId, stamp(leftAt)],
    ]);
  });

  it('after-start-only: only the leave, with no AttendeeJoined for the person connected before the capture', async () => {
    const { attendeeId, leftAt, lines } = await meetingEvents(afterStart);
    expect(lines).toEqual([['AttendeeLeft', attendeeId, stamp(leftAt)]]);
  });
});

describe('media-file-layout: where the MP4s media pipelines write keep their moov box', () => {
  const moovLast = variant('media-file-layout', 'moov-last');
  const moovFirst = variant('media-file-layout', 'moov-first');

  /** The box order of a capture's first audio chunk and of the concatenated audio file. */
  async function layouts(behaviour: BehaviourSettings): Promise<{ chunk: string[]; joined: string[] }> {
    const { cloud, id } = await concatenated(behaviour);
    const chunkKey = cloud.s3.keys('capture-bucket').find((k) => k.includes('/audio/'));
    const chunk = chunkKey && (await cloud.s3.getObject('capture-bucket', chunkKey));
    const joined = await cloud.s3.getObject('concat-bucket', joinedAudio(id));
    if (!chunk || !joined) throw new Error('expected a captured audio chunk and the joined audio');
    return { chunk: inspectMp4(chunk).layout, joined: inspectMp4(joined).layout };
  }

  it('moov-last: ftyp, mdat, moov in chunks and in the joined file, so a reader must look at the tail for the index', async () => {
    expect(await layouts(moovLast)).toEqual({ chunk: ['ftyp', 'mdat', 'moov'], joined: ['ftyp', 'mdat', 'moov'] });
  });

  it('moov-first: ftyp, moov, mdat ("faststart") in chunks and in the joined file', async () => {
    expect(await layouts(moovFirst)).toEqual({ chunk: ['ftyp', 'moov', 'mdat'], joined: ['ftyp', 'moov', 'mdat'] });
  });
});

describe('resolveBehaviours and parseBehaviourFlags', () => {
  const names = Object.keys(BEHAVIOURS) as BehaviourName[];

  it('resolve to each default, with the named ones changed', () => {
    const resolved = resolveBehaviours({ 'concatenation-deletion': 'stops' });
    for (const name of names) expect([name, resolved[name]]).toEqual([name, name === 'concatenation-deletion' ? 'stops' : BEHAVIOURS[name].default]);
  });

  /**
   * Behaviours whose most likely answer is also the hardest for a caller, so pessimistic changes nothing:
   * media-file-layout's moov-last is what muxers write unless asked otherwise, and the harder to read.
   */
  const HARDEST_BY_DEFAULT: BehaviourName[] = ['media-file-layout'];

  it('pessimistic gives every behaviour its pessimistic variant, a variant it has and not its default (unless the default is the hardest)', () => {
    const resolved = resolveBehaviours('pessimistic');
    for (const name of names) {
      const spec: { variants: Record<string, string>; default: string; pessimistic: string } = BEHAVIOURS[name];
      expect([name, resolved[name]]).toEqual([name, spec.pessimistic]);
      expect(Object.keys(spec.variants)).toContain(spec.pessimistic);
      expect([name, spec.pessimistic === spec.default]).toEqual([name, HARDEST_BY_DEFAULT.includes(name)]);
    }
    expect(parseBehaviourFlags(['pessimistic'])).toBe('pessimistic');
  });

  it('refuse an unknown behaviour, naming every behaviour', () => {
    for (const f of [() => resolveBehaviours({ 'concatenation-speed': 'fast' } as Partial<Behaviours>), () => parseBehaviourFlags(['concatenation-speed=fast'])]) {
      expect(f).toThrow(/no behaviour "concatenation-speed"/);
      for (const name of names) expect(errorMessage(f)).toContain(name);
    }
  });

  it('refuse an unknown variant, or a flag without one, naming the choices', () => {
    const choices = Object.keys(BEHAVIOURS['concatenation-deletion'].variants);
    for (const f of [
      () => resolveBehaviours({ 'concatenation-deletion': 'ignored' }),
      () => parseBehaviourFlags(['concatenation-deletion=ignored']),
      () => parseBehaviourFlags(['concatenation-deletion']),
      () => parseBehaviourFlags(['concatenation-deletion=stops=now']),
    ]) {
      expect(f).toThrow(/concatenation-deletion/);
      for (const choice of choices) expect(errorMessage(f)).toContain(choice);
    }
  });

  it('take name=variant flags, the later winning; pessimistic only alone', () => {
    expect(parseBehaviourFlags(['event-delivery=late-and-out-of-order', 'role-propagation=refused-for-a-while', 'event-delivery=prompt'])).toEqual({
      'event-delivery': 'prompt',
      'role-propagation': 'refused-for-a-while',
    });
    expect(() => parseBehaviourFlags(['pessimistic', 'event-delivery=prompt'])).toThrow(/pessimistic/);
  });
});

function errorMessage(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  throw new Error('expected it to throw');
}

describe('this file', () => {
  it('tests every variant of every behaviour', () => {
    const all = Object.entries(BEHAVIOURS).flatMap(([name, spec]) => Object.keys(spec.variants).map((v) => `${name}=${v}`));
    expect(all.filter((v) => !covered.has(v))).toEqual([]);
  });
});
