import { Members, badRequest, fingerprint, readTags, type JsonObject, type StringRule } from './meetings-shape';
import { isAwsManagedS3Key } from './media-pipelines-policy';

/**
 * Request validation for the media pipeline create calls, following the chime-sdk-media-pipelines model
 * (required members, enums, ARN pattern, lengths, list sizes) plus the cross-member rules the API
 * reference states in prose. Each parser returns the typed values the emulator acts on, the members to
 * store and echo back (`fields`), and a fingerprint that tells an idempotent retry from a reused token.
 */
const ARN: StringRule = { min: 1, max: 1024, pattern: /arn[/:\-_.a-zA-Z0-9]+/ };
const TOKEN: StringRule = { min: 2, max: 64, pattern: /[-_a-zA-Z0-9]*/ };
export const GUID: StringRule = { min: 36, max: 36, pattern: /[a-fA-F0-9]{8}(?:-[a-fA-F0-9]{4}){3}-[a-fA-F0-9]{12}/ };
const EXTERNAL_USER_ID: StringRule = { min: 2, max: 64 };
const POSITIONS = ['TopLeft', 'TopRight', 'BottomLeft', 'BottomRight'] as const;
const COLORS = ['Black', 'Blue', 'Red', 'Green', 'White', 'Yellow'] as const;
const TILE_ORDER = ['JoinSequence', 'SpeakerSequence'] as const;
/** SelectedVideoStreams: "The number of video streams can't exceed 25." */
const MAX_SELECTED_STREAMS = 25;

export type AudioMuxType = 'AudioOnly' | 'AudioWithActiveSpeakerVideo' | 'AudioWithCompositedVideo';

/** What a capture records, with the service's defaults applied. */
export interface CaptureArtifacts {
  audioMux: AudioMuxType;
  video: boolean;
  content: boolean;
  compositedVideo: boolean;
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
  body.enumOf('SourceType', ['ChimeSdkMeeting'], true);
  const sourceArn = body.string('SourceArn', { ...ARN, required: true });
  body.enumOf('SinkType', ['S3Bucket'], true);
  const sinkArn = body.string('SinkArn', { ...ARN, required: true });
  const token = body.string('ClientRequestToken', TOKEN);
  const config = body.struct('ChimeSdkMeetingConfiguration');
  const selectedVideo = config && readSourceConfiguration(config);
  const artifacts = config?.struct('ArtifactsConfiguration');
  const sse = body.struct('SseAwsKeyManagementParams');
  if (sse) {
    const keyId = sse.string('AwsKmsKeyId', { required: true, max: 4096 });
    if (isAwsManagedS3Key(keyId)) throw badRequest(`${sse.at('AwsKmsKeyId')}: the AWS managed key aws/s3 is not supported; use a customer managed KMS key.`);
    const context = sse.string('AwsKmsEncryptionContext', { max: 4096 });
    if (context !== undefined && !isBase64JsonObject(context)) throw badRequest(`${sse.at('AwsKmsEncryptionContext')}: must be the base64 encoding of a UTF-8 JSON object.`);
  }
  const sinkIamRoleArn = body.string('SinkIamRoleArn', ARN);
  if (!sse !== (sinkIamRoleArn === undefined)) throw badRequest('SseAwsKeyManagementParams and SinkIamRoleArn must be specified together.');
  readTags(body, { min: 1, max: 200 }, { min: 1, max: 128 }, { min: 0, max: 256 });
  return {
    sourceArn,
    sinkArn,
    token,
    // The service's default capture: mixed audio with the active speaker's video, and content share.
    artifacts: artifacts ? readArtifacts(artifacts, selectedVideo) : { audioMux: 'AudioWithActiveSpeakerVideo', video: false, content: true, compositedVideo: false, selectedVideo },
    sseKms: !!sse,
    sinkIamRoleArn,
    ...finish(body),
  };
}

export function parseConcatenationRequest(body: Members): ConcatenationRequest {
  const source = single(body.structs('Sources', { required: true, min: 1, max: 1 }));
  source.enumOf('Type', ['MediaCapturePipeline'], true);
  const sourceConfig = source.struct('MediaCapturePipelineSourceConfiguration', true);
  const sourcePipelineArn = sourceConfig.string('MediaPipelineArn', { ...ARN, required: true });
  const artifacts = sourceConfig.struct('ChimeSdkMeetingConfiguration', true).struct('ArtifactsConfiguration', true);
  const enabled = CONCATENATION_ARTIFACTS.filter((name) => {
    // Audio can only be Enabled: a concatenation always produces the audio file.
    const state = artifacts.struct(name, true).enumOf('State', name === 'Audio' ? ['Enabled'] : ['Enabled', 'Disabled'], true);
    return state === 'Enabled';
  });
  const sink = single(body.structs('Sinks', { required: true, min: 1, max: 1 }));
  sink.enumOf('Type', ['S3Bucket'], true);
  const destinationArn = sink.struct('S3BucketSinkConfiguration', true).string('Destination', { ...ARN, required: true });
  const token = body.string('ClientRequestToken', TOKEN);
  readTags(body, { min: 1, max: 200 }, { min: 1, max: 128 }, { min: 0, max: 256 });
  return { sourcePipelineArn, destinationArn, enabled, token, ...finish(body) };
}

export function parseLiveConnectorRequest(body: Members): LiveConnectorRequest {
  const source = single(body.structs('Sources', { required: true, min: 1, max: 1 }));
  source.enumOf('SourceType', ['ChimeSdkMeeting'], true);
  const config = source.struct('ChimeSdkMeetingLiveConnectorConfiguration', true);
  const sourceArn = config.string('Arn', { ...ARN, required: true });
  config.enumOf('MuxType', ['AudioWithCompositedVideo', 'AudioWithActiveSpeakerVideo'], true);
  const composited = config.struct('CompositedVideo');
  if (composited) readCompositedVideo(composited);
  readSourceConfiguration(config);
  const sink = single(body.structs('Sinks', { required: true, min: 1, max: 1 }));
  sink.enumOf('SinkType', ['RTMP'], true);
  const rtmp = sink.struct('RTMPConfiguration', true);
  const url = rtmp.string('Url', { required: true, min: 1, max: 1024 });
  // The URL carries the stream key: the message names the member, never the value.
  if (!/^rtmps?:\/\/[^/\s]+/i.test(url)) throw badRequest(`${rtmp.at('Url')}: must be an rtmp:// or rtmps:// URL.`);
  rtmp.enumOf('AudioChannels', ['Stereo', 'Mono']);
  rtmp.string('AudioSampleRate', { pattern: /44100|48000/ });
  const token = body.string('ClientRequestToken', TOKEN);
  readTags(body, { min: 1, max: 200 }, { min: 1, max: 128 }, { min: 0, max: 256 });
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
  const audioMux = m.struct('Audio', true).enumOf('MuxType', ['AudioOnly', 'AudioWithActiveSpeakerVideo', 'AudioWithCompositedVideo'], true);
  const video = m.struct('Video', true);
  const videoState = video.enumOf('State', ['Enabled', 'Disabled'], true);
  video.enumOf('MuxType', ['VideoOnly']);
  const content = m.struct('Content', true);
  const contentState = content.enumOf('State', ['Enabled', 'Disabled'], true);
  content.enumOf('MuxType', ['ContentOnly']);
  const composited = m.struct('CompositedVideo');
  if (composited) readCompositedVideo(composited);
  return { audioMux, video: videoState === 'Enabled', content: contentState === 'Enabled', compositedVideo: !!composited, selectedVideo };
}

function readCompositedVideo(m: Members): void {
  m.enumOf('Layout', ['GridView']);
  m.enumOf('Resolution', ['HD', 'FHD']);
  const grid = m.struct('GridViewConfiguration', true);
  grid.enumOf('ContentShareLayout', ['PresenterOnly', 'Horizontal', 'Vertical', 'ActiveSpeakerOnly'], true);
  grid.struct('PresenterOnlyConfiguration')?.enumOf('PresenterPosition', POSITIONS);
  grid.struct('ActiveSpeakerOnlyConfiguration')?.enumOf('ActiveSpeakerPosition', POSITIONS);
  for (const [name, positions] of [
    ['HorizontalLayoutConfiguration', ['Top', 'Bottom']],
    ['VerticalLayoutConfiguration', ['Left', 'Right']],
  ] as const) {
    const layout = grid.struct(name);
    layout?.enumOf('TileOrder', TILE_ORDER);
    layout?.enumOf('TilePosition', positions);
    layout?.integer('TileCount', { min: 1, max: 10 });
    layout?.string('TileAspectRatio', { pattern: /\d{1,2}\/\d{1,2}/ });
  }
  const attribute = grid.struct('VideoAttribute');
  attribute?.integer('CornerRadius', { min: 1, max: 20 });
  attribute?.enumOf('BorderColor', COLORS);
  attribute?.enumOf('HighlightColor', COLORS);
  attribute?.integer('BorderThickness', { min: 1, max: 20 });
  grid.enumOf('CanvasOrientation', ['Landscape', 'Portrait']);
}

function readSourceConfiguration(config: Members): CaptureArtifacts['selectedVideo'] {
  const streams = config.struct('SourceConfiguration')?.struct('SelectedVideoStreams');
  if (!streams) return undefined;
  const attendeeIds = streams.strings('AttendeeIds', { min: 1 }, GUID) ?? [];
  const externalUserIds = streams.strings('ExternalUserIds', { min: 1 }, EXTERNAL_USER_ID) ?? [];
  if (attendeeIds.length + externalUserIds.length > MAX_SELECTED_STREAMS) {
    throw badRequest(`${streams.path}: the number of selected video streams can't exceed ${MAX_SELECTED_STREAMS}.`);
  }
  return { attendeeIds, externalUserIds };
}

function single(items: Members[]): Members {
  const [item] = items;
  // Callers validated the list to hold exactly one item.
  if (!item) throw badRequest('Exactly one item is required.');
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
