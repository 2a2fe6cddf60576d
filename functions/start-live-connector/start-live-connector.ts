import { CreateMediaLiveConnectorPipelineCommand, type ChimeSDKMediaPipelinesClient } from '@aws-sdk/client-chime-sdk-media-pipelines';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AccessDenied, InvalidLiveStreamUrl, LiveStreamSecretUnavailable, MeetingNotFound, awsErrorName, isNotFound, toWorkflowError } from '../lib/errors';
import type { LiveStreamPlan, MeetingRef, PipelineRef, Plan, RoleRef } from '../lib/schemas';
import { propagationRefusal } from '../lib/role-propagation';
import { updateRecord, type RecordingStore } from '../lib/store';
import { resourceTags } from '../lib/stack-tag';
import { clientRequestToken } from '../lib/tokens';
import { takeTurnWithin, type TurnDeps } from '../lib/quota';

const SECRET_STRING_HINT = `--secret-string 'rtmps://<host>/<application>/<stream key>'`;

/**
 * Streams the meeting to the RTMP(S) endpoint kept in the request's secret, next to the capture, and
 * records the pipeline for Cleanup. The URL carries the stream key: it goes from the secret to Chime and
 * nowhere else (not into the result, a log line or an error, all of which the execution history keeps).
 */
export async function startLiveConnector(
  deps: { pipelines: ChimeSDKMediaPipelinesClient; secrets: SecretsManagerClient; store: RecordingStore; turn: TurnDeps },
  input: { plan: Plan & { liveStream: LiveStreamPlan }; chimeMeeting: MeetingRef; role: RoleRef },
): Promise<PipelineRef> {
  const { plan, chimeMeeting } = input;
  const live = plan.liveStream;
  const url = await readStreamUrl(deps.secrets, live.secretArn);
  await takeTurnWithin(deps.turn, ['media-pipelines']);
  let pipeline;
  try {
    const out = await deps.pipelines.send(
      new CreateMediaLiveConnectorPipelineCommand({
        Sources: [{ SourceType: 'ChimeSdkMeeting', ChimeSdkMeetingLiveConnectorConfiguration: { Arn: chimeMeeting.sourceArn, MuxType: live.muxType } }],
        Sinks: [{ SinkType: 'RTMP', RTMPConfiguration: { Url: url, AudioChannels: live.audioChannels, AudioSampleRate: live.audioSampleRate } }],
        ClientRequestToken: clientRequestToken(plan.executionId, 'StartLiveConnector'),
        Tags: resourceTags(plan.tags),
      }),
    );
    pipeline = out.MediaLiveConnectorPipeline;
  } catch (err) {
    throw liveConnectorError(withoutUrl(err, url), chimeMeeting, input.role);
  }
  // Only the ids: the response echoes the sink, URL included.
  const ref = { mediaPipelineId: pipeline?.MediaPipelineId ?? '', mediaPipelineArn: pipeline?.MediaPipelineArn ?? '' };
  await updateRecord(deps.store, chimeMeeting.meetingId, plan.executionId, { livePipelineId: ref.mediaPipelineId });
  return ref;
}

async function readStreamUrl(secrets: SecretsManagerClient, secretArn: string): Promise<string> {
  let secretString;
  try {
    secretString = (await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString;
  } catch (err) {
    throw secretError(err, secretArn);
  }
  if (secretString === undefined) {
    throw new LiveStreamSecretUnavailable(`secret ${secretArn} holds binary data; store the URL as a string: aws secretsmanager put-secret-value --secret-id ${secretArn} ${SECRET_STRING_HINT}`);
  }
  return streamUrl(secretString, secretArn);
}

/**
 * The URL in a secret that holds either the URL itself or `{"url": "..."}`. A broken rule is reported by
 * name only: no part of the value may appear in the message.
 */
export function streamUrl(secretString: string, secretArn: string): string {
  const value = secretString.trim();
  const url = value.startsWith('{') ? urlMember(value) : value;
  const rule = url === undefined ? 'it starts with "{" but is not JSON with a string "url" member' : brokenRule(url);
  if (url === undefined || rule) {
    throw new InvalidLiveStreamUrl(
      `the live stream URL in secret ${secretArn} is not usable: ${rule}. Store the URL (or {"url": "..."}) with aws secretsmanager put-secret-value --secret-id ${secretArn} ${SECRET_STRING_HINT}`,
    );
  }
  return url;
}

function urlMember(json: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(json);
    const url = parsed && typeof parsed === 'object' ? (parsed as { url?: unknown }).url : undefined;
    return typeof url === 'string' ? url.trim() : undefined;
  } catch {
    // JSON.parse quotes the text it rejects, so its error must not travel.
    return undefined;
  }
}

function brokenRule(url: string): string | undefined {
  if (url.length > 1024) return 'it is longer than 1024 characters, the media pipelines limit';
  if (/\s/.test(url)) return 'it contains whitespace';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // URL's TypeError carries the input: never rethrow it.
    return 'it is not a URL';
  }
  if (parsed.protocol !== 'rtmp:' && parsed.protocol !== 'rtmps:') return 'its scheme must be rtmp or rtmps';
  if (!parsed.hostname) return 'it has no host';
  if (parsed.pathname.split('/').filter(Boolean).length < 2) return 'its path must hold the application and the stream key (/<application>/<stream key>)';
  return undefined;
}

function secretError(err: unknown, secretArn: string): unknown {
  if (isNotFound(err)) {
    return new LiveStreamSecretUnavailable(
      `secret ${secretArn} does not exist or has no current value; create it with aws secretsmanager create-secret --name <name> ${SECRET_STRING_HINT} and give the ARN it prints as liveStream.secretArn`,
    );
  }
  if (awsErrorName(err) === 'DecryptionFailure') {
    return new LiveStreamSecretUnavailable(
      `secret ${secretArn} cannot be decrypted with its KMS key; allow the startLiveConnector function's role kms:Decrypt in that key's policy, or encrypt the secret with aws/secretsmanager`,
    );
  }
  if (awsErrorName(err) === 'InvalidRequestException') {
    const reason = err instanceof Error ? err.message : '';
    return new LiveStreamSecretUnavailable(`secret ${secretArn} cannot be read: ${reason} (a secret scheduled for deletion comes back with aws secretsmanager restore-secret --secret-id ${secretArn})`);
  }
  const mapped = toWorkflowError(err, 'GetSecretValue');
  return mapped instanceof AccessDenied
    ? new AccessDenied(`${mapped.message} (secret ${secretArn}: the function may read only secrets of this account and region named with the stack's liveStreamSecretPrefix, and the secret's resource policy must not deny it)`)
    : mapped;
}

function liveConnectorError(err: unknown, meeting: MeetingRef, role: RoleRef): unknown {
  const propagating = propagationRefusal(err, role, 'CreateMediaLiveConnectorPipeline');
  if (propagating) return propagating;
  if (isNotFound(err)) return new MeetingNotFound(`meeting ${meeting.meetingId} no longer exists: ${err instanceof Error ? err.message : ''}`);
  const mapped = toWorkflowError(err, 'CreateMediaLiveConnectorPipeline');
  return mapped instanceof AccessDenied ? new AccessDenied(`${mapped.message} (the function needs chime:CreateMediaLiveConnectorPipeline and chime:TagResource)`) : mapped;
}

/**
 * Chime's request validation may quote a member it rejects, and the error reaches the execution history,
 * so any copy of the URL or its stream key is cut out (from a new error: the old one's stack repeats it).
 */
function withoutUrl(err: unknown, url: string): unknown {
  if (!(err instanceof Error)) return err;
  const key = new URL(url).pathname.split('/').filter(Boolean).pop() ?? url;
  const message = [url, key].reduce((text, secret) => text.split(secret).join('<redacted>'), err.message);
  if (message === err.message) return err;
  const { $metadata, $fault } = err as { $metadata?: unknown; $fault?: unknown };
  const copy = Object.assign(new Error(message), { $metadata, $fault });
  copy.name = err.name;
  return copy;
}
