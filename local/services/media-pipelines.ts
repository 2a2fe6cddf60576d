import { randomUUID } from 'node:crypto';
import type { BusEvent } from '../core/bus';
import type { CloudContext, IamInternal, MeetingsInternal, S3Internal } from '../core/context';
import { ServiceError, json, parseJsonBody, restJsonError, type LocalRequest, type LocalResponse, type Service } from '../core/service';
import { Members, badRequest, page, readTags, type JsonObject } from './meetings-shape';
import { mediaPipelinesModel } from './model-validation';
import { CHUNK_MS, CaptureRecorder, planConcatenation, writeConcatenation, type S3Location } from './media-pipelines-capture';
import { MEDIA_PIPELINES_PRINCIPAL, missingGrants, usesAwsManagedKey, type Grant } from './media-pipelines-policy';
import type { Mp4Layout } from './mp4';
import type { SimTimer } from '../core/clock';
import {
  parseCaptureRequest,
  parseConcatenationRequest,
  parseLiveConnectorRequest,
  parseMeetingArn,
  parsePipelineArn,
  parseS3Arn,
  type CaptureArtifacts,
  type ConcatenationArtifact,
} from './media-pipelines-validation';

/**
 * Amazon Chime SDK Media Pipelines (rest-json, signing name `chime`): capture, concatenation and live
 * connector pipelines with the checks and lifecycle the real service has. Creation checks the
 * service-linked role (and its IAM propagation), the source meeting, the sink bucket's region,
 * policy and encryption, and the quotas; ClientRequestToken makes creation idempotent. Pipelines then
 * live in simulated time: Initializing, InProgress (a capture joins the meeting as an
 * `aws:MediaPipeline-<id>` attendee and writes 5-second chunks), Stopping and Stopped, with the
 * `Chime Media Pipeline State Change` events EventBridge would deliver.
 */
export const SERVICE_LINKED_ROLE = 'AWSServiceRoleForAmazonChimeSDKMediaPipelines';
/** A concatenation's source capture pipeline must be younger than this. */
const CONCATENATION_SOURCE_MAX_AGE_MS = 30 * 24 * 60 * 60_000;
/** How long a pipeline that stopped stays visible when it does (behaviour stopped-pipeline-lookup). */
const STOPPED_VISIBLE_MS = 5 * 60_000;
/** Plausible refusals while a new service-linked role propagates (behaviour role-propagation). */
const PROPAGATION_REFUSALS = [
  'Access denied.',
  'User is not authorized to perform this operation.',
  'Insufficient permission to create the media pipeline.',
  'The request could not be authorized at this time.',
  'Forbidden.',
];

export interface MediaPipelineOptions {
  /** Simulated ms from creation to InProgress (default 2000). */
  startDelayMs?: number;
  /** Simulated ms a deleted pipeline spends Stopping (default 1000). */
  stopDelayMs?: number;
  /**
   * Simulated ms after the service-linked role's creation during which creation is refused, when the
   * role-propagation behaviour is refused-for-a-while (default: a random time up to three minutes).
   */
  rolePropagationMs?: number;
  /** Active pipelines per region; default 100 in us-east-1 and 10 elsewhere. */
  activePipelineLimit?: number;
  /** Simulated ms a concatenation spends per chunk it joins (default 200). */
  concatenationMsPerChunk?: number;
  /** Known field failure: concatenations stay InProgress forever, writing nothing. */
  concatenationStuck?: boolean;
  /** Known field failure: a capture's last (partial) chunk is never written. */
  dropLastChunk?: boolean;
  /**
   * Known field failure: this fraction (at least 0, below 1) of a capture's 5-second chunks is never
   * written, spread evenly through the capture and never the first; their meeting events are kept.
   * Finished files come out short, as users report: "I record a 6-hour meeting ... only the 3-hour
   * recording concatenate" (https://github.com/aws/amazon-chime-sdk-js/issues/2575, where the concatenation
   * lost what the capture had written; here the capture loses it, which the concatenated file shows the
   * same way). 0.5 loses every other chunk. Default 0.
   */
  lostChunkRatio?: number;
  /**
   * Simulated ms between chunk flushes (chunks are named by their own start time whenever they are
   * written); default one chunk or 20 real ms, whichever is longer, and a minute on a virtual clock.
   */
  flushIntervalMs?: number;
}

export type MediaPipelineStatus = 'Initializing' | 'InProgress' | 'Failed' | 'Stopping' | 'Stopped' | 'Paused' | 'NotStarted';
export type MediaPipelineKind = 'capture' | 'concatenation' | 'liveConnector';

/** A read-only description of a pipeline, for tests and leak checks. */
export interface MediaPipelineInfo {
  mediaPipelineId: string;
  mediaPipelineArn: string;
  kind: MediaPipelineKind;
  status: MediaPipelineStatus;
  region: string;
  meetingId: string;
  /** The pipeline's meeting attendee while it is in the meeting. */
  attendeeId?: string;
  createdAt: number;
  updatedAt: number;
  /** Deleted pipelines are gone from Get and List (a deleted capture can still feed a concatenation). */
  deleted: boolean;
  /** Someone asked DeleteMediaPipeline to delete it, whatever the service then did (behaviour concatenation-deletion). */
  deletionRequested: boolean;
  failureReason?: string;
  /** Capture: where chunks go; concatenation: where the joined files go. */
  sink?: S3Location;
  /** Concatenation: the keys it wrote. */
  outputs?: string[];
}

interface Base {
  /** Creation order, for stable pagination. */
  seq: number;
  id: string;
  arn: string;
  region: string;
  status: MediaPipelineStatus;
  createdAt: number;
  updatedAt: number;
  /** Response members taken from the create request. */
  fields: JsonObject;
  fingerprint: string;
  deleted: boolean;
  deletionRequested?: boolean;
  /** The create request's Tags (ListTagsForResource). */
  tags?: Array<{ Key: string; Value: string }>;
  /** When it stopped (simulated): GetMediaPipeline may stop finding it some time later (behaviour stopped-pipeline-lookup). */
  stoppedAt?: number;
  failureReason?: string;
  timer?: SimTimer;
  meetingId: string;
  externalMeetingId?: string;
  mediaRegion: string;
}

interface CapturePipeline extends Base {
  kind: 'capture';
  sink: S3Location;
  artifacts: CaptureArtifacts;
  attendeeId?: string;
  recorder?: CaptureRecorder;
}

interface LiveConnectorPipeline extends Base {
  kind: 'liveConnector';
  attendeeId?: string;
}

interface ConcatenationPipeline extends Base {
  kind: 'concatenation';
  sourceId: string;
  enabled: ConcatenationArtifact[];
  sink: S3Location;
  outputs?: string[];
}

type Pipeline = CapturePipeline | LiveConnectorPipeline | ConcatenationPipeline;
type MeetingPipeline = CapturePipeline | LiveConnectorPipeline;

const ACTIVE: ReadonlySet<MediaPipelineStatus> = new Set(['Initializing', 'InProgress', 'Paused', 'Stopping']);

export class MediaPipelinesService implements Service {
  readonly name = 'media-pipelines';
  readonly signingNames = ['chime'] as const;
  private readonly pipelines = new Map<string, Pipeline>();
  /** The same pipelines by meeting (a concatenation under its source capture's meeting). */
  private readonly byMeeting = new Map<string, Set<Pipeline>>();
  /** Pipelines in an ACTIVE status, and how many per region (the quota). */
  private readonly active = new Set<Pipeline>();
  private readonly activeByRegion = new Map<string, number>();
  /** Simulated time before which no stopped pipeline can be old enough to forget. */
  private nextExpiryAt = -Infinity;
  /** `${kind}:${region}:${ClientRequestToken}` to pipeline id. */
  private readonly tokens = new Map<string, string>();
  private nextSeq = 0;
  private ticker?: SimTimer;
  /** Per service-linked role creation time: how long creation is refused while it propagates. */
  private readonly propagation = new Map<number, number>();
  private readonly observe = (event: BusEvent) => this.onMeetingEvent(event);

  constructor(
    private readonly ctx: CloudContext,
    private readonly deps: { s3: S3Internal; iam: IamInternal; meetings: MeetingsInternal },
    /** Mutable: a test may change a behaviour (e.g. concatenationStuck) between recordings. */
    readonly options: MediaPipelineOptions = {},
  ) {
    deps.meetings.onMeetingEnded((meetingId) => this.onMeetingEnded(meetingId));
    // Deleting the service-linked role fails while pipelines use it, as IAM reports for this role.
    deps.iam.setRoleUsage(SERVICE_LINKED_ROLE, () => {
      const byRegion = new Map<string, string[]>();
      for (const p of this.active) byRegion.set(p.region, [...(byRegion.get(p.region) ?? []), p.arn]);
      return [...byRegion].map(([Region, Resources]) => ({ Region, Resources }));
    });
    // Captures record attendee joins and leaves (meeting-events) from the meeting's own events.
    ctx.bus.listeners.add(this.observe);
  }

  operation(req: LocalRequest): string | undefined {
    const [collection, id, ...rest] = req.path.split('/').filter(Boolean);
    if (rest.length > 0) return undefined;
    const m = req.method;
    switch (collection) {
      case 'sdk-media-capture-pipelines':
        if (id === undefined) return m === 'POST' ? 'CreateMediaCapturePipeline' : m === 'GET' ? 'ListMediaCapturePipelines' : undefined;
        return m === 'GET' ? 'GetMediaCapturePipeline' : m === 'DELETE' ? 'DeleteMediaCapturePipeline' : undefined;
      case 'sdk-media-concatenation-pipelines':
        return id === undefined && m === 'POST' ? 'CreateMediaConcatenationPipeline' : undefined;
      case 'sdk-media-live-connector-pipelines':
        return id === undefined && m === 'POST' ? 'CreateMediaLiveConnectorPipeline' : undefined;
      case 'tags':
        // ListTagsForResource, routed here for pipeline ARNs (the meetings service takes meeting ARNs).
        return id === undefined && m === 'GET' && /^arn:[^:]+:chime:[^:]*:\d+:media-pipeline\//.test(req.query.get('arn') ?? '') ? 'ListTagsForResource' : undefined;
      case 'sdk-media-pipelines':
        if (id === undefined) return m === 'GET' ? 'ListMediaPipelines' : undefined;
        return m === 'GET' ? 'GetMediaPipeline' : m === 'DELETE' ? 'DeleteMediaPipeline' : undefined;
      default:
        return undefined;
    }
  }

  async handle(operation: string, req: LocalRequest): Promise<LocalResponse> {
    mediaPipelinesModel().validateRequest(operation, req);
    const id = req.path.split('/').filter(Boolean)[1];
    switch (operation) {
      case 'CreateMediaCapturePipeline':
        return json(201, { MediaCapturePipeline: view(this.createCapture(req)) });
      case 'CreateMediaConcatenationPipeline':
        return json(201, { MediaConcatenationPipeline: view(this.createConcatenation(req)) });
      case 'CreateMediaLiveConnectorPipeline':
        return json(201, { MediaLiveConnectorPipeline: view(this.createLiveConnector(req)) });
      case 'GetMediaPipeline': {
        const p = this.visible(req, id);
        const member = { capture: 'MediaCapturePipeline', concatenation: 'MediaConcatenationPipeline', liveConnector: 'MediaLiveConnectorPipeline' }[p.kind];
        return json(200, { MediaPipeline: { [member]: view(p) } });
      }
      case 'GetMediaCapturePipeline':
        return json(200, { MediaCapturePipeline: view(this.visible(req, id, 'capture')) });
      case 'DeleteMediaPipeline':
        this.delete(this.visible(req, id));
        return { status: 204 };
      case 'DeleteMediaCapturePipeline':
        this.delete(this.visible(req, id, 'capture'));
        return { status: 204 };
      case 'ListTagsForResource': {
        // The tags given to the create call, while GetMediaPipeline can find the pipeline.
        const arn = req.query.get('arn') ?? '';
        const p = [...this.pipelines.values()].find((x) => x.arn === arn);
        if (!p) throw notFound(`Media pipeline ${arn} not found.`);
        return json(200, { Tags: this.visible(req, p.id).tags ?? [] });
      }
      case 'ListMediaPipelines':
      case 'ListMediaCapturePipelines': {
        const captures = operation === 'ListMediaCapturePipelines';
        const listed = [...this.pipelines.values()].filter((p) => this.listed(p) && p.region === req.region && (!captures || p.kind === 'capture'));
        const { items, nextToken } = page(listed, req.query, `${operation}:${req.region}`, 100);
        const summaries = items.map((p) => ({ MediaPipelineId: p.id, MediaPipelineArn: p.arn }));
        return json(200, { [captures ? 'MediaCapturePipelines' : 'MediaPipelines']: summaries, NextToken: nextToken });
      }
      default:
        throw badRequest(`The local cloud does not implement Chime SDK Media Pipelines ${operation}.`);
    }
  }

  errorResponse(err: ServiceError): LocalResponse {
    return restJsonError(err);
  }

  async close(): Promise<void> {
    this.ctx.bus.listeners.delete(this.observe);
    this.ctx.clock.clearTimeout(this.ticker);
    this.ticker = undefined;
    for (const p of this.pipelines.values()) this.ctx.clock.clearTimeout(p.timer);
    await Promise.all([...this.pipelines.values()].map((p) => (p.kind === 'capture' ? p.recorder?.done : undefined)));
  }

  // ---- read-only helpers for tests and leak checks ----

  activePipelines(): MediaPipelineInfo[] {
    return [...this.pipelines.values()].filter((p) => this.active.has(p)).map(info);
  }

  pipeline(mediaPipelineId: string): MediaPipelineInfo | undefined {
    const p = this.pipelines.get(mediaPipelineId);
    return p && info(p);
  }

  /**
   * Ends the pipelines AWS kept running after DeleteMediaPipeline was asked to delete them (behaviour
   * concatenation-deletion), as the service eventually would: for a test that must start from nothing.
   * Answers how many it ended.
   */
  endKeptRunning(): number {
    const kept = [...this.active].filter((p) => p.deletionRequested && p.status !== 'Stopping');
    for (const p of kept) this.stop(p, true);
    return kept.length;
  }

  /** Simulates a permanent failure (publishes chime:MediaPipelinePermanentFailure). */
  failPipeline(mediaPipelineId: string, reason: string): void {
    const p = this.pipelines.get(mediaPipelineId);
    if (!p) throw new Error(`no media pipeline ${mediaPipelineId}`);
    this.fail(p, reason);
  }

  // ---- creation ----

  private createCapture(req: LocalRequest): Pipeline {
    const r = parseCaptureRequest(new Members(parseJsonBody(req)));
    const replay = this.replay('capture', req.region, r.token, r.fingerprint);
    if (replay) return replay;
    this.checkServiceLinkedRole(req.region);
    const meeting = this.sourceMeeting(r.sourceArn, 'SourceArn');
    if (r.sinkIamRoleArn) this.checkSinkRole(r.sinkIamRoleArn);
    const id = randomUUID();
    const arn = pipelineArn(req.region, this.ctx.account, id);
    const sink = parseS3Arn(r.sinkArn, 'SinkArn');
    this.checkBucket(sink.bucket, 'Sink', arn, objectWrite(sink.bucket), { region: meeting.mediaRegion, encryption: !r.sseKms });
    // With object-level SSE-KMS the pipeline writes as the sink role: "your Amazon S3 bucket must allow
    // the same actions as the calling IAM identity using the specified IAM role SinkIamRoleArn" (Enabling
    // object level server-side encryption with AWS KMS key, https://docs.aws.amazon.com/chime-sdk/latest/dg/using-kms-keys-for-encryption.html).
    if (r.sinkIamRoleArn) this.checkBucket(sink.bucket, 'Sink', arn, objectWrite(sink.bucket), { principal: { role: r.sinkIamRoleArn } });
    const activeCapture = this.meetingPipelines(meeting.meetingId).find((p) => p.kind === 'capture');
    if (activeCapture) throw limitExceeded(`Meeting ${meeting.meetingId} already has an active media capture pipeline (${activeCapture.id}); a meeting can have only one.`);
    this.checkRegionQuota(req.region);
    const pipeline: CapturePipeline = { ...this.base(id, arn, req.region, r, meeting), kind: 'capture', sink, artifacts: r.artifacts };
    this.register(pipeline, 'capture', r.token, req);
    this.scheduleJoin(pipeline);
    return pipeline;
  }

  private createLiveConnector(req: LocalRequest): Pipeline {
    const r = parseLiveConnectorRequest(new Members(parseJsonBody(req)));
    const replay = this.replay('liveConnector', req.region, r.token, r.fingerprint);
    if (replay) return replay;
    this.checkServiceLinkedRole(req.region);
    const meeting = this.sourceMeeting(r.sourceArn, 'Sources[0].ChimeSdkMeetingLiveConnectorConfiguration.Arn');
    // "You can create one media live connector pipeline per Amazon Chime SDK meeting" (Creating Amazon
    // Chime SDK media pipelines, https://docs.aws.amazon.com/chime-sdk/latest/dg/media-pipelines.html).
    const activeLive = this.meetingPipelines(meeting.meetingId).find((p) => p.kind === 'liveConnector');
    if (activeLive) throw limitExceeded(`Meeting ${meeting.meetingId} already has an active media live connector pipeline (${activeLive.id}); a meeting can have only one.`);
    this.checkRegionQuota(req.region);
    const id = randomUUID();
    const pipeline: LiveConnectorPipeline = { ...this.base(id, pipelineArn(req.region, this.ctx.account, id), req.region, r, meeting), kind: 'liveConnector' };
    this.register(pipeline, 'liveConnector', r.token, req);
    this.scheduleJoin(pipeline);
    return pipeline;
  }

  private createConcatenation(req: LocalRequest): Pipeline {
    const r = parseConcatenationRequest(new Members(parseJsonBody(req)));
    const replay = this.replay('concatenation', req.region, r.token, r.fingerprint);
    if (replay) return replay;
    const member = 'Sources[0].MediaCapturePipelineSourceConfiguration.MediaPipelineArn';
    const ref = parsePipelineArn(r.sourcePipelineArn, member);
    if (ref.account !== this.ctx.account) throw forbidden('Resource ownership mismatch: the media capture pipeline belongs to another account.');
    // Deleted captures stay usable as a source: concatenating after the capture is deleted is the usual flow.
    const capture = this.pipelines.get(ref.mediaPipelineId);
    if (!capture || capture.kind !== 'capture' || capture.region !== ref.region) throw notFound(`Media capture pipeline ${ref.mediaPipelineId} not found.`);
    if (this.ctx.clock.now() - capture.createdAt >= CONCATENATION_SOURCE_MAX_AGE_MS) {
      throw badRequest(`${member}: media capture pipeline ${capture.id} was created more than 30 days ago; concatenation needs a younger source.`);
    }
    const id = randomUUID();
    const arn = pipelineArn(req.region, this.ctx.account, id);
    const source = capture.sink.bucket;
    this.checkBucket(source, 'Source', arn, [
      { action: 's3:GetObject', resource: `arn:aws:s3:::${source}/*` },
      { action: 's3:ListBucket', resource: `arn:aws:s3:::${source}` },
    ]);
    const sink = parseS3Arn(r.destinationArn, 'Sinks[0].S3BucketSinkConfiguration.Destination');
    this.checkBucket(sink.bucket, 'Sink', arn, objectWrite(sink.bucket), { encryption: true });
    this.checkRegionQuota(req.region);
    const pipeline: ConcatenationPipeline = {
      ...this.base(id, arn, req.region, r, { meetingId: capture.meetingId, externalMeetingId: capture.externalMeetingId, mediaRegion: capture.mediaRegion }),
      kind: 'concatenation',
      sourceId: capture.id,
      enabled: r.enabled,
      sink,
    };
    this.register(pipeline, 'concatenation', r.token, req);
    // It starts once its capture has stopped (now, if it already has).
    if (capture.status === 'Stopped') this.scheduleConcatenation(pipeline);
    else if (capture.status === 'Failed') this.fail(pipeline, `source media capture pipeline ${capture.id} failed`);
    return pipeline;
  }

  private base(
    id: string,
    arn: string,
    region: string,
    r: { fields: JsonObject; fingerprint: string },
    meeting: { meetingId: string; externalMeetingId?: string; mediaRegion: string },
  ): Base {
    const now = this.ctx.clock.now();
    return {
      seq: this.nextSeq++,
      id,
      arn,
      region,
      status: 'Initializing',
      createdAt: now,
      updatedAt: now,
      fields: r.fields,
      fingerprint: r.fingerprint,
      deleted: false,
      meetingId: meeting.meetingId,
      externalMeetingId: meeting.externalMeetingId,
      mediaRegion: meeting.mediaRegion,
    };
  }

  private register(p: Pipeline, kind: MediaPipelineKind, token: string | undefined, req: LocalRequest): void {
    this.forgetExpired();
    p.tags = readTags(new Members(parseJsonBody(req))) ?? [];
    this.pipelines.set(p.id, p);
    const ofMeeting = this.byMeeting.get(p.meetingId) ?? new Set();
    this.byMeeting.set(p.meetingId, ofMeeting.add(p));
    this.trackActive(p);
    if (token) this.tokens.set(`${kind}:${p.region}:${token}`, p.id);
  }

  /** The same token with the same request returns the pipeline it created; with another request it is refused. */
  private replay(kind: MediaPipelineKind, region: string, token: string | undefined, print: string): Pipeline | undefined {
    if (!token) return undefined;
    const p = this.pipelines.get(this.tokens.get(`${kind}:${region}:${token}`) ?? '');
    if (!p) return undefined;
    if (p.fingerprint !== print) throw badRequest('ClientRequestToken: the token was already used for a different request.');
    return p;
  }

  /** Stopped and failed pipelines are kept as long as they can feed a concatenation, then forgotten. */
  private forgetExpired(): void {
    const now = this.ctx.clock.now();
    // Nothing can have expired before the oldest pipeline kept at the last sweep does.
    if (now < this.nextExpiryAt) return;
    const horizon = now - CONCATENATION_SOURCE_MAX_AGE_MS;
    let oldestKept = Infinity;
    for (const [id, p] of this.pipelines) {
      if (!ACTIVE.has(p.status) && p.createdAt < horizon) {
        this.pipelines.delete(id);
        const ofMeeting = this.byMeeting.get(p.meetingId);
        ofMeeting?.delete(p);
        if (ofMeeting?.size === 0) this.byMeeting.delete(p.meetingId);
      } else {
        oldestKept = Math.min(oldestKept, p.createdAt);
      }
    }
    for (const [token, id] of this.tokens) if (!this.pipelines.has(id)) this.tokens.delete(token);
    // Pipelines created from now on are younger still.
    this.nextExpiryAt = Math.min(oldestKept, now) + CONCATENATION_SOURCE_MAX_AGE_MS;
  }

  /** Keeps the active set and the per-region counts in step with a pipeline's status. */
  private trackActive(p: Pipeline): void {
    const isActive = ACTIVE.has(p.status);
    if (isActive === this.active.has(p)) return;
    if (isActive) this.active.add(p);
    else this.active.delete(p);
    this.activeByRegion.set(p.region, (this.activeByRegion.get(p.region) ?? 0) + (isActive ? 1 : -1));
  }

  // ---- creation checks ----

  /** The service assumes its service-linked role, which IAM then reports as used (GetRole's RoleLastUsed). */
  private checkServiceLinkedRole(region: string): void {
    if (!this.deps.iam.roleExists(SERVICE_LINKED_ROLE)) {
      throw forbidden(
        `The service-linked role ${SERVICE_LINKED_ROLE} does not exist. Create it with: aws iam create-service-linked-role --aws-service-name ${MEDIA_PIPELINES_PRINCIPAL}`,
      );
    }
    const createdAt = this.deps.iam.roleCreatedAt(SERVICE_LINKED_ROLE) ?? -Infinity;
    if (this.ctx.clock.now() - createdAt < this.propagationMs(createdAt)) {
      // AWS documents neither the wording nor the duration (behaviour role-propagation): a different
      // text each time, so nothing can come to rely on one.
      throw forbidden(PROPAGATION_REFUSALS[Math.floor(Math.random() * PROPAGATION_REFUSALS.length)]!);
    }
    this.deps.iam.roleUsed(SERVICE_LINKED_ROLE, region);
  }

  /** How long a role created at `createdAt` is refused (chosen once per role). */
  private propagationMs(createdAt: number): number {
    if (this.ctx.behaviours['role-propagation'] !== 'refused-for-a-while' && !this.options.rolePropagationMs) return 0;
    let ms = this.propagation.get(createdAt);
    if (ms === undefined) {
      ms = this.options.rolePropagationMs ?? Math.random() * 180_000;
      this.propagation.set(createdAt, ms);
    }
    return ms;
  }

  private sourceMeeting(arn: string, member: string): { meetingId: string; externalMeetingId?: string; mediaRegion: string } {
    const ref = parseMeetingArn(arn, member);
    if (ref.account !== this.ctx.account) throw forbidden('Resource ownership mismatch: the meeting belongs to another account.');
    const meeting = this.deps.meetings.meeting(ref.meetingId);
    if (!meeting) throw notFound(`Meeting ${ref.meetingId} not found.`);
    return meeting;
  }

  private checkSinkRole(arn: string): void {
    const match = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:[^/]+\/)*([\w+=,.@-]+)$/.exec(arn);
    if (!match?.[1] || !match[2]) throw badRequest('SinkIamRoleArn: must be an IAM role ARN (arn:aws:iam::<account>:role/<name>).');
    if (match[1] !== this.ctx.account) throw forbidden('Resource ownership mismatch: SinkIamRoleArn must belong to the caller\'s account.');
    if (!this.deps.iam.roleExists(match[2])) throw badRequest('SinkIamRoleArn: the role does not exist.');
  }

  /**
   * The bucket must exist, grant the service what it needs and, when it receives objects, be in the
   * meeting's media region and not default to the AWS managed aws/s3 KMS key.
   */
  private checkBucket(bucket: string, role: 'Sink' | 'Source', pipelineArnValue: string, grants: Grant[], opts: { region?: string; encryption?: boolean; principal?: { role: string } } = {}): void {
    const info = this.deps.s3.bucket(bucket);
    if (!info) throw badRequest(`S3 Bucket ${bucket} for ${role} does not exist.`);
    if (opts.region && info.region !== opts.region) {
      throw badRequest(`S3 Bucket ${bucket} for ${role} is in ${info.region}; it must be in the meeting's media region ${opts.region}.`);
    }
    const missing = missingGrants(info, grants, { account: this.ctx.account, sourceArn: pipelineArnValue }, opts.principal);
    if (missing.length > 0) {
      const needs = missing.map((g) => `${g.action} on ${g.resource}`).join(', ');
      throw badRequest(`S3 Bucket policy not valid/present for ${role}: bucket ${bucket} must allow ${opts.principal?.role ?? MEDIA_PIPELINES_PRINCIPAL} ${needs}.`);
    }
    if (opts.encryption && usesAwsManagedKey(info)) {
      throw badRequest(`S3 Bucket ${bucket} for ${role} uses SSE-KMS with the AWS managed key aws/s3, which media pipelines cannot use; use a customer managed KMS key.`);
    }
  }

  private checkRegionQuota(region: string): void {
    const limit = this.options.activePipelineLimit ?? (region === 'us-east-1' ? 100 : 10);
    if ((this.activeByRegion.get(region) ?? 0) >= limit) throw limitExceeded(`The account has reached its limit of ${limit} active media pipelines in ${region}.`);
  }

  // ---- lifecycle ----

  /** Initializing → InProgress: the pipeline joins its meeting as an aws:MediaPipeline attendee. */
  private scheduleJoin(p: MeetingPipeline): void {
    p.timer = this.ctx.clock.setTimeout(this.options.startDelayMs ?? 2000, () => {
      p.timer = undefined;
      if (p.status !== 'Initializing') return;
      p.attendeeId = this.deps.meetings.addAttendee(p.meetingId, `aws:MediaPipeline-${p.id}`).attendeeId;
      this.setStatus(p, 'InProgress');
      this.publish(p, 'chime:MediaPipelineInProgress');
      if (this.ctx.behaviours['pipeline-interruptions'] === 'temporary-failure-then-resumed') this.interrupt(p);
      if (p.kind === 'capture') {
        const target = { sink: p.sink, meetingId: p.meetingId, externalMeetingId: p.externalMeetingId, mediaRegion: p.mediaRegion, pipelineId: p.id };
        const media = { layout: this.mediaFileLayout(), lostChunkRatio: this.options.lostChunkRatio ?? 0, listPresentAtStart: this.ctx.behaviours['meeting-events-present-at-start'] === 'listed-at-start' };
        p.recorder = new CaptureRecorder(this.deps.s3, this.deps.meetings, target, p.artifacts, media, this.ctx.clock.now(), (err) =>
          this.fail(p, `writing to s3://${p.sink.bucket} failed: ${err instanceof Error ? err.message : String(err)}`),
        );
        this.startTicker();
      }
    });
  }

  /** A minute in, a temporary failure; half a minute later, resumed (behaviour pipeline-interruptions). */
  private interrupt(p: MeetingPipeline): void {
    this.ctx.clock.setTimeout(60_000, () => {
      if (p.status !== 'InProgress') return;
      this.publish(p, 'chime:MediaPipelineTemporaryFailure');
      this.ctx.clock.setTimeout(30_000, () => p.status === 'InProgress' && this.publish(p, 'chime:MediaPipelineResumed'));
    });
  }

  /** One timer for all captures: each tick writes the chunks completed since the last. */
  private startTicker(): void {
    if (this.ticker) return;
    const interval = this.options.flushIntervalMs ?? (this.ctx.clock.virtual ? 60_000 : Math.max(CHUNK_MS, 20 * this.ctx.clock.scale));
    const tick = () => {
      this.ticker = undefined;
      const recording = [...this.active].filter((p): p is CapturePipeline => p.kind === 'capture' && p.status === 'InProgress');
      for (const p of recording) if (p.recorder) void this.ctx.clock.track(p.recorder.flush(this.ctx.clock.now(), false));
      if (recording.length > 0) this.ticker = this.ctx.clock.setTimeout(interval, tick);
    };
    this.ticker = this.ctx.clock.setTimeout(interval, tick);
  }

  private onMeetingEvent(event: BusEvent): void {
    if (event.source !== 'aws.chime' || event['detail-type'] !== 'Chime Meeting State Change') return;
    const { meetingId, timestamp } = event.detail;
    for (const p of this.byMeeting.get(String(meetingId)) ?? []) {
      if (p.kind === 'capture' && p.status === 'InProgress') {
        p.recorder?.observe(typeof timestamp === 'number' ? timestamp : this.ctx.clock.now(), event.detail);
      }
    }
  }

  /** All media pipelines stop when their meeting ends (they stay visible, Stopped). */
  private onMeetingEnded(meetingId: string): void {
    for (const p of this.meetingPipelines(meetingId)) this.stop(p, p.status === 'Stopping');
  }

  private meetingPipelines(meetingId: string): MeetingPipeline[] {
    return [...(this.byMeeting.get(meetingId) ?? [])].filter((p): p is MeetingPipeline => p.kind !== 'concatenation' && ACTIVE.has(p.status));
  }

  /** DeleteMediaPipeline / DeleteMediaCapturePipeline. */
  private delete(p: Pipeline): void {
    p.deletionRequested = true;
    if (p.kind === 'concatenation' && ACTIVE.has(p.status)) {
      // The guide names only capture and live connector pipelines (behaviour concatenation-deletion).
      const deletion = this.ctx.behaviours['concatenation-deletion'];
      if (deletion === 'conflict') throw new ServiceError('ConflictException', 409, `Media pipeline ${p.id} is a concatenation pipeline; it stops by itself when it is done.`);
      if (deletion === 'accepted-keeps-running') return;
    }
    if (p.status === 'Stopping') return; // already being deleted
    if (!ACTIVE.has(p.status)) {
      p.deleted = true;
      return;
    }
    this.ctx.clock.clearTimeout(p.timer);
    this.setStatus(p, 'Stopping');
    p.timer = this.ctx.clock.setTimeout(this.options.stopDelayMs ?? 1000, () => this.stop(p, true));
  }

  /** Stopping → Stopped: last chunks written, attendee removed, MediaPipelineDeleted published. */
  private stop(p: Pipeline, deleted: boolean): void {
    this.ctx.clock.clearTimeout(p.timer);
    p.timer = undefined;
    if (p.kind === 'capture' && p.recorder) void this.ctx.clock.track(p.recorder.flush(this.ctx.clock.now(), true, this.options.dropLastChunk));
    if (p.kind !== 'concatenation' && p.attendeeId) this.deps.meetings.removeAttendee(p.meetingId, p.attendeeId);
    if (p.kind !== 'concatenation') p.attendeeId = undefined;
    this.setStatus(p, 'Stopped');
    p.deleted = deleted;
    p.stoppedAt = this.ctx.clock.now();
    this.publish(p, 'chime:MediaPipelineDeleted');
    if (p.kind === 'capture') for (const c of this.concatenationsOf(p)) this.scheduleConcatenation(c);
  }

  private fail(p: Pipeline, reason: string): void {
    if (!ACTIVE.has(p.status)) return;
    this.ctx.clock.clearTimeout(p.timer);
    p.timer = undefined;
    p.failureReason = reason;
    // What was captured stays; the partial chunk in flight is lost.
    if (p.kind === 'capture' && p.recorder) void this.ctx.clock.track(p.recorder.flush(this.ctx.clock.now(), true, true));
    if (p.kind !== 'concatenation' && p.attendeeId) {
      this.deps.meetings.removeAttendee(p.meetingId, p.attendeeId);
      p.attendeeId = undefined;
    }
    this.setStatus(p, 'Failed');
    this.publish(p, 'chime:MediaPipelinePermanentFailure');
    if (p.kind === 'capture') for (const c of this.concatenationsOf(p)) this.fail(c, `source media capture pipeline ${p.id} failed`);
  }

  private concatenationsOf(capture: CapturePipeline): ConcatenationPipeline[] {
    return [...(this.byMeeting.get(capture.meetingId) ?? [])].filter(
      (c): c is ConcatenationPipeline => c.kind === 'concatenation' && c.sourceId === capture.id && c.status === 'Initializing',
    );
  }

  private scheduleConcatenation(c: ConcatenationPipeline): void {
    c.timer = this.ctx.clock.setTimeout(this.options.startDelayMs ?? 2000, () => {
      c.timer = undefined;
      this.runConcatenation(c);
    });
  }

  /**
   * InProgress for a time proportional to the chunks, then one file per artifact type, then Stopped. The
   * reading and the writing hold simulated time still; the time in between is a timer.
   */
  private runConcatenation(c: ConcatenationPipeline): void {
    const capture = this.pipelines.get(c.sourceId);
    if (c.status !== 'Initializing' || capture?.kind !== 'capture') return;
    this.setStatus(c, 'InProgress');
    this.publish(c, 'chime:MediaPipelineInProgress');
    const failed = (err: unknown) => this.fail(c, `concatenation failed: ${err instanceof Error ? err.message : String(err)}`);
    const plan = async () => {
      await capture.recorder?.done;
      const plans = await planConcatenation(this.deps.s3, capture.sink, c.enabled);
      if (this.options.concatenationStuck) return;
      const chunks = plans.reduce((n, p) => n + p.chunks.length, 0);
      // Deleting the pipeline (or closing the service) cancels this timer; the run then never resumes.
      c.timer = this.ctx.clock.setTimeout((this.options.concatenationMsPerChunk ?? 200) * chunks, () => {
        c.timer = undefined;
        this.ctx.clock.track(write(plans)).catch(failed);
      });
    };
    const write = async (plans: Awaited<ReturnType<typeof planConcatenation>>) => {
      c.outputs = await writeConcatenation(this.deps.s3, capture.sink, plans, c.sink, c.id, this.mediaFileLayout());
      // Behaviour concatenation-end-status: some stay InProgress with their files written.
      if (isRunning(c) && this.ctx.behaviours['concatenation-end-status'] === 'stops') this.stop(c, false);
    };
    this.ctx.clock.track(plan()).catch(failed);
  }

  /** Where the MP4 files keep their index (behaviour media-file-layout). */
  private mediaFileLayout(): Mp4Layout {
    return this.ctx.behaviours['media-file-layout'] === 'moov-first' ? 'moov-first' : 'moov-last';
  }

  private setStatus(p: Pipeline, status: MediaPipelineStatus): void {
    p.status = status;
    p.updatedAt = this.ctx.clock.now();
    this.trackActive(p);
  }

  private publish(p: Pipeline, eventType: string): void {
    // What a concatenation's events carry is not documented (behaviour concatenation-completion-event).
    const completion = p.kind === 'concatenation' ? this.ctx.behaviours['concatenation-completion-event'] : 'with-meeting-id';
    if (completion === 'not-sent' && eventType === 'chime:MediaPipelineDeleted') return;
    const meeting = completion === 'without-meeting-id' ? {} : { meetingId: p.meetingId, externalMeetingId: p.externalMeetingId };
    this.ctx.bus.put([
      {
        source: 'aws.chime',
        'detail-type': 'Chime Media Pipeline State Change',
        region: p.region,
        detail: {
          version: '0',
          eventType,
          // Whole epoch ms, as in AWS's samples (test/fixtures/aws-examples/chime-sdk-media-pipelines).
          timestamp: Math.floor(this.ctx.clock.now()),
          ...meeting,
          mediaPipelineId: p.id,
          mediaRegion: p.mediaRegion,
        },
      },
    ]);
  }

  /** A pipeline Get and Delete can see: not deleted, in the request's region, of the asked kind. */
  private visible(req: LocalRequest, rawId: string | undefined, kind?: MediaPipelineKind): Pipeline {
    const id = rawId ?? '';
    const p = this.pipelines.get(id);
    if (!p || !this.listed(p) || p.region !== req.region || (kind && p.kind !== kind)) throw notFound(`Media pipeline ${id} not found.`);
    return p;
  }

  /**
   * Deleted pipelines are gone; one that stopped by itself (its meeting ended, a concatenation done) stays
   * visible as Stopped for a while or not at all (behaviour stopped-pipeline-lookup).
   */
  private listed(p: Pipeline): boolean {
    if (p.deleted) return false;
    if (p.stoppedAt === undefined) return true;
    return this.ctx.behaviours['stopped-pipeline-lookup'] === 'stopped-for-a-while' && this.ctx.clock.now() - p.stoppedAt < STOPPED_VISIBLE_MS;
  }
}

/** Re-reads the status after an await (a plain comparison would stay narrowed to the earlier check). */
function isRunning(p: Pipeline): boolean {
  return p.status === 'InProgress';
}

function view(p: Pipeline): JsonObject {
  return {
    MediaPipelineId: p.id,
    MediaPipelineArn: p.arn,
    ...p.fields,
    Status: p.status,
    CreatedTimestamp: new Date(p.createdAt).toISOString(),
    UpdatedTimestamp: new Date(p.updatedAt).toISOString(),
  };
}

function info(p: Pipeline): MediaPipelineInfo {
  return {
    mediaPipelineId: p.id,
    mediaPipelineArn: p.arn,
    kind: p.kind,
    status: p.status,
    region: p.region,
    meetingId: p.meetingId,
    attendeeId: p.kind === 'concatenation' ? undefined : p.attendeeId,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
    deleted: p.deleted,
    deletionRequested: p.deletionRequested === true,
    failureReason: p.failureReason,
    sink: p.kind === 'liveConnector' ? undefined : p.sink,
    outputs: p.kind === 'concatenation' ? p.outputs : undefined,
  };
}

function pipelineArn(region: string, account: string, id: string): string {
  return `arn:aws:chime:${region}:${account}:media-pipeline/${id}`;
}

/** What a sink bucket must grant: writing objects (and their ACL) anywhere in the bucket. */
function objectWrite(bucket: string): Grant[] {
  return [
    { action: 's3:PutObject', resource: `arn:aws:s3:::${bucket}/*` },
    { action: 's3:PutObjectAcl', resource: `arn:aws:s3:::${bucket}/*` },
  ];
}

function forbidden(message: string): ServiceError {
  return new ServiceError('ForbiddenException', 403, message);
}

function notFound(message: string): ServiceError {
  return new ServiceError('NotFoundException', 404, message);
}

function limitExceeded(message: string): ServiceError {
  return new ServiceError('ResourceLimitExceededException', 400, message);
}
