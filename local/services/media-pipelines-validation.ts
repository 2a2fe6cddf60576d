import { Members, badRequest, fingerprint, readTags, type JsonObject } from './meetings-shape';
import { isAwsManagedS3Key } from './media-pipelines-policy';
import type { Picture } from './mp4-codecs';

/**
 * Reading the media pipeline create calls, after their validation against the chime-sdk-media-pipelines
 * model (model-validation.ts: required members, enums, ARN pattern, lengths, list sizes), plus the
 * cross-member rules the API reference states in prose. Each parser returns the typed values the
 * emulator acts on, the members to store and echo back (`fields`), and a fingerprint that tells an
 * idempotent retry from a reused token.
 */

/**
 * "The total number of video streams can't exceed 25." (SelectedVideoStreams documentation; the model's
 * AttendeeIdList and ExternalUserIdList have only a minimum.)
 */
const MAX_SELECTED_STREAMS = 25;

export type AudioMuxType = 'AudioOnly' | 'AudioWithActiveSpeakerVideo' | 'AudioWithCompositedVideo';

/** What a capture records, with the service's defaults applied. */
export interface CaptureArtifacts {
  audioMux: AudioMuxType;
  video: boolean;
  content: boolean;
  /** The composited picture's size, when compositing is on. */
  compositedVideo?: Picture;
  /** Only these attendees' video is captured, when given. */
  selectedVideo?: { attendeeIds: string[]; externalUserIds: string[] };
}

/** The artifact types a concatenation can join, as named in ArtifactsConcatenationConfiguration. */
export const CONCATENATION_ARTIFACTS = ['Audio', 'Video', 'Content', 'DataChannel', 'TranscriptionMessages', 'MeetingEvents', 'CompositedVideo'] as const;
export type ConcatenationArtifact = (typeof CONCATENATION_ARTIFACTS)[number];

interface Parsed {
  token?: string;
  fingerprint: string;
  /** Response members taken from the request (everything but ClientRequestToken and Tags). */
  fields: JsonObject;
}

export interface CaptureRequest extends Parsed {
  sourceArn: string;
  sinkArn: string;
  artifacts: CaptureArtifacts;
  /** Object-level SSE-KMS with the caller's key (then the bucket's default encryption does not apply). */
  sseKms: boolean;
  sinkIamRoleArn?: string;
}

export interface ConcatenationRequest extends Parsed {
  sourcePipelineArn: string;
  destinationArn: string;
  enabled: ConcatenationArtifact[];
}

export interface LiveConnectorRequest extends Parsed {
  sourceArn: string;
}

export function parseCaptureRequest(body: Members): CaptureRequest {
  body.string('SourceType', true);
  const sourceArn = body.string('SourceArn', true);
  body.string('SinkType', true);
  const sinkArn = body.string('SinkArn', true);
  const token = body.string('ClientRequestToken');
  const config = body.struct('ChimeSdkMeetingConfiguration');
  const selectedVideo = config && readSourceConfiguration(config);
  const artifacts = config?.struct('ArtifactsConfiguration');
  const sse = body.struct('SseAwsKeyManagementParams');
  if (sse) {
    const keyId = sse.string('AwsKmsKeyId', true);
    // Not a model constraint: the service cannot use the AWS managed aws/s3 key, the same rule the sink
    // bucket's default encryption is held to (media-pipelines-policy.ts, and the README's Security section).
    if (isAwsManagedS3Key(keyId)) throw badRequest(`${sse.at('AwsKmsKeyId')}: the AWS managed key aws/s3 is not supported; use a customer managed KMS key.`);
    // AwsKmsEncryptionContext: "Base64-encoded string of a UTF-8 encoded JSON".
    const context = sse.string('AwsKmsEncryptionContext');
    if (context !== undefined && !isBase64JsonObject(context)) throw badRequest(`${sse.at('AwsKmsEncryptionContext')}: must be the base64 encoding of a UTF-8 JSON object.`);
  }
  // SinkIamRoleArn: "The Amazon Resource Name (ARN) of the sink role to be used with AwsKmsKeyId in
  // SseAwsKeyManagementParams": the key needs the role, and the role is only for the key.
  const sinkIamRoleArn = body.string('SinkIamRoleArn');
  if (!sse !== (sinkIamRoleArn === undefined)) throw badRequest('SseAwsKeyManagementParams and SinkIamRoleArn must be specified together.');
  readTags(body);
  return {
    sourceArn,
    sinkArn,
    token,
    // The service's default capture: mixed audio with the active speaker's video, and content share.
    artifacts: artifacts ? readArtifacts(artifacts, selectedVideo) : { audioMux: 'AudioWithActiveSpeakerVideo', video: false, content: true, selectedVideo },
    sseKms: !!sse,
    sinkIamRoleArn,
    ...finish(body),
  };
}

export function parseConcatenationRequest(body: Members): ConcatenationRequest {
  // The model allows exactly one source and one sink (lists of 1..1).
  const source = single(body.structs('Sources', true));
  source.string('Type', true);
  const sourceConfig = source.struct('MediaCapturePipelineSourceConfiguration', true);
  const sourcePipelineArn = sourceConfig.string('MediaPipelineArn', true);
  const artifacts = sourceConfig.struct('ChimeSdkMeetingConfiguration', true).struct('ArtifactsConfiguration', true);
  // Audio's State can only be Enabled (its enum): a concatenation always produces the audio file.
  const enabled = CONCATENATION_ARTIFACTS.filter((name) => artifacts.struct(name, true).string('State', true) === 'Enabled');
  const sink = single(body.structs('Sinks', true));
  sink.string('Type', true);
  const destinationArn = sink.struct('S3BucketSinkConfiguration', true).string('Destination', true);
  const token = body.string('ClientRequestToken');
  readTags(body);
  return { sourcePipelineArn, destinationArn, enabled, token, ...finish(body) };
}

export function parseLiveConnectorRequest(body: Members): LiveConnectorRequest {
  const source = single(body.structs('Sources', true));
  source.string('SourceType', true);
  const config = source.struct('ChimeSdkMeetingLiveConnectorConfiguration', true);
  const sourceArn = config.string('Arn', true);
  config.string('MuxType', true);
  const composited = config.struct('CompositedVideo');
  if (composited) readCompositedVideo(composited);
  readSourceConfiguration(config);
  const sink = single(body.structs('Sinks', true));
  sink.string('SinkType', true);
  const rtmp = sink.struct('RTMPConfiguration', true);
  const url = rtmp.string('Url', true);
  // An RTMPConfiguration's Url (model: a sensitive 1..1024 character string) is where the RTMP stream
  // goes. The message names the member, never the value: the URL carries the stream key.
  if (!/^rtmps?:\/\/[^/\s]+/i.test(url)) throw badRequest(`${rtmp.at('Url')}: must be an rtmp:// or rtmps:// URL.`);
  rtmp.string('AudioChannels');
  rtmp.string('AudioSampleRate');
  const token = body.string('ClientRequestToken');
  readTags(body);
  return { sourceArn, token, ...finish(body) };
}

function finish(body: Members): { fingerprint: string; fields: JsonObject } {
  const fields = { ...body.value };
  delete fields.ClientRequestToken;
  delete fields.Tags;
  // Tags are part of the request a retry must repeat, but not of the pipeline description.
  return { fingerprint: fingerprint({ ...fields, Tags: body.value.Tags }), fields };
}

function readArtifacts(m: Members, selectedVideo: CaptureArtifacts['selectedVideo']): CaptureArtifacts {
  const audioMux = m.struct('Audio', true).enumOf<AudioMuxType>('MuxType', true);
  const video = m.struct('Video', true);
  const videoState = video.string('State', true);
  video.string('MuxType');
  const content = m.struct('Content', true);
  const contentState = content.string('State', true);
  content.string('MuxType');
  const composited = m.struct('CompositedVideo');
  const compositedVideo = composited && readCompositedVideo(composited);
  return { audioMux, video: videoState === 'Enabled', content: contentState === 'Enabled', compositedVideo, selectedVideo };
}

/**
 * Reads (so keeps, to echo back) every member of a CompositedVideoArtifactsConfiguration; answers the
 * picture size: "Default: HD at 1280 x 720. FHD resolution: 1920 x 1080" (Resolution, API reference),
 * turned for a Portrait canvas ("Portrait supports resolutions of 720x1280 and 1080x1920 for FHD",
 * Compositing audio and video into a single view, https://docs.aws.amazon.com/chime-sdk/latest/dg/pipeline-compositing.html).
 */
function readCompositedVideo(m: Members): Picture {
  m.string('Layout');
  const fhd = m.enumOf<'HD' | 'FHD'>('Resolution') === 'FHD';
  const grid = m.struct('GridViewConfiguration', true);
  grid.string('ContentShareLayout', true);
  grid.struct('PresenterOnlyConfiguration')?.string('PresenterPosition');
  grid.struct('ActiveSpeakerOnlyConfiguration')?.string('ActiveSpeakerPosition');
  for (const name of ['HorizontalLayoutConfiguration', 'VerticalLayoutConfiguration']) {
    const layout = grid.struct(name);
    layout?.string('TileOrder');
    layout?.string('TilePosition');
    layout?.integer('TileCount');
    layout?.string('TileAspectRatio');
  }
  const attribute = grid.struct('VideoAttribute');
  attribute?.integer('CornerRadius');
  attribute?.string('BorderColor');
  attribute?.string('HighlightColor');
  attribute?.integer('BorderThickness');
  const portrait = grid.enumOf<'Landscape' | 'Portrait'>('CanvasOrientation') === 'Portrait';
  const [long, short] = fhd ? [1920, 1080] : [1280, 720];
  return portrait ? { width: short, height: long } : { width: long, height: short };
}

function readSourceConfiguration(config: Members): CaptureArtifacts['selectedVideo'] {
  const streams = config.struct('SourceConfiguration')?.struct('SelectedVideoStreams');
  if (!streams) return undefined;
  const attendeeIds = streams.strings('AttendeeIds') ?? [];
  const externalUserIds = streams.strings('ExternalUserIds') ?? [];
  if (attendeeIds.length + externalUserIds.length > MAX_SELECTED_STREAMS) {
    throw badRequest(`${streams.path}: the number of selected video streams can't exceed ${MAX_SELECTED_STREAMS}.`);
  }
  return { attendeeIds, externalUserIds };
}

function single(items: Members[]): Members {
  const [item] = items;
  // The model's validation checked that the list holds exactly one item.
  if (!item) throw new Error('a validated one-item list is empty');
  return item;
}

function isBase64JsonObject(value: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return false;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
    return !!parsed && typeof parsed === 'object' && !Array.isArray(parsed);
  } catch {
    return false;
  }
}

/** `arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/prefix`; the prefix is returned without slashes at its ends. */
export function parseS3Arn(arn: string, member: string): { bucket: string; prefix: string } {
  const match = /^arn:aws[a-z-]*:s3:::([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(arn);
  if (!match?.[1]) throw badRequest(`${member}: must be an S3 bucket ARN (arn:aws:s3:::bucket or arn:aws:s3:::bucket/prefix).`);
  return { bucket: match[1], prefix: (match[2] ?? '').replace(/^\/+|\/+$/g, '') };
}

/**
 * A meeting ARN in either form seen in practice: `arn:aws:chime::<account>:meeting:<id>` (AWS's demos)
 * or the `MeetingArn` CreateMeeting returns, `arn:aws:chime:<region>:<account>:meeting/<id>`.
 */
export function parseMeetingArn(arn: string, member: string): { account: string; meetingId: string } {
  const match = /^arn:aws[a-z-]*:chime:[a-z0-9-]*:(\d{12}):meeting[:/]([a-fA-F0-9]{8}(?:-[a-fA-F0-9]{4}){3}-[a-fA-F0-9]{12})$/.exec(arn);
  if (!match?.[1] || !match[2]) throw badRequest(`${member}: must be a Chime SDK meeting ARN (arn:aws:chime::<account>:meeting:<meetingId>).`);
  return { account: match[1], meetingId: match[2].toLowerCase() };
}

/** `arn:aws:chime:<region>:<account>:media-pipeline/<id>`. */
export function parsePipelineArn(arn: string, member: string): { region: string; account: string; mediaPipelineId: string } {
  const match = /^arn:aws[a-z-]*:chime:([a-z0-9-]+):(\d{12}):media-pipeline\/([a-fA-F0-9]{8}(?:-[a-fA-F0-9]{4}){3}-[a-fA-F0-9]{12})$/.exec(arn);
  if (!match?.[1] || !match[2] || !match[3]) throw badRequest(`${member}: must be a media pipeline ARN (arn:aws:chime:<region>:<account>:media-pipeline/<id>).`);
  return { region: match[1], account: match[2], mediaPipelineId: match[3].toLowerCase() };
}
