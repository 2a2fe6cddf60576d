import { GetBucketEncryptionCommand, GetBucketLocationCommand, GetBucketPolicyCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ChimeSDKMeetingsClient } from '@aws-sdk/client-chime-sdk-meetings';
import { adoptedMeeting } from '../lib/adopted-meeting';
import { AccessDenied, BucketNotReady, isNotFound } from '../lib/errors';
import { evaluatePolicy, policyToApply, requiredGrants, type Owner } from '../lib/bucket-policy';
import type { Plan } from '../lib/schemas';

export interface BucketCheck {
  mediaRegion: string;
  buckets: string[];
  /** Things that work but deserve attention (e.g. a grant without confused-deputy conditions). */
  warnings: string[];
}

/**
 * Checks, before anything is created, that each bucket is in the meeting's media region, grants the media
 * pipelines service what capture and concatenation need, and does not use the AWS-managed aws/s3 KMS key.
 * All problems are reported at once, each with its fix (the full policy to apply). An adopted meeting is
 * looked up first, in the stack's region (`region`): one this region cannot manage is refused here.
 */
export async function verifyBuckets(deps: { s3: S3Client; meetings: ChimeSDKMeetingsClient; owner: Owner; region: string }, plan: Plan): Promise<BucketCheck> {
  const mediaRegion = plan.mediaRegion ?? (await adoptedMeeting(deps.meetings, plan.meetingId ?? '', deps.region)).MediaRegion ?? '';
  const capture = plan.capture.bucket;
  const concatenation = plan.concatenation.bucket;
  const roles = new Map<string, { captureSink: boolean; concatenationSink: boolean }>();
  roles.set(capture, { captureSink: true, concatenationSink: capture === concatenation });
  if (concatenation !== capture) roles.set(concatenation, { captureSink: false, concatenationSink: true });

  const problems: string[] = [];
  const warnings: string[] = [];
  for (const [bucket, role] of roles) {
    const what = role.captureSink ? (role.concatenationSink ? 'capture and concatenation bucket' : 'capture bucket') : 'concatenation bucket';
    const region = await bucketRegion(deps.s3, bucket);
    if (region === undefined) {
      problems.push(`${what} "${bucket}" does not exist in this account; create it in ${mediaRegion} or name another bucket`);
      continue;
    }
    if (role.captureSink && region !== mediaRegion) {
      problems.push(`${what} "${bucket}" is in ${region} but the meeting's media region is ${mediaRegion}; media pipelines only write to buckets in the meeting's media region: create it in ${mediaRegion}, or name a bucket there`);
      // Its policy and encryption are moot, and S3 answers such region-bound calls for a bucket of another
      // region with 301 PermanentRedirect: the region is the whole report.
      continue;
    }
    const policy = await bucketPolicy(deps.s3, bucket);
    const grants = requiredGrants(bucket, role, deps.owner.partition);
    const verdict = evaluatePolicy(policy, grants, deps.owner);
    if (verdict.missing.length > 0) {
      const missing = verdict.missing.map((g) => `${g.action} on ${g.resource}`).join(', ');
      const apply = JSON.stringify(policyToApply(policy, grants, deps.owner));
      problems.push(`${what} "${bucket}" policy does not let mediapipelines.chime.amazonaws.com ${missing}. Apply this bucket policy: ${apply}`);
    } else if (verdict.unconditioned.length > 0) {
      warnings.push(`${what} "${bucket}" grants the media pipelines service without aws:SourceAccount/aws:SourceArn conditions; add them to prevent confused-deputy use`);
    }
    const kmsProblem = await awsManagedKmsKey(deps.s3, bucket);
    if (kmsProblem) problems.push(`${what} "${bucket}" ${kmsProblem}`);
  }
  if (problems.length > 0) throw new BucketNotReady(problems.join(' | '));
  return { mediaRegion, buckets: [...roles.keys()], warnings };
}

/**
 * Where the bucket is: GetBucketLocation answers for a bucket of any region (the AWS CLI's own advice after
 * a 301), unlike the bucket's other APIs.
 */
async function bucketRegion(s3: S3Client, bucket: string): Promise<string | undefined> {
  try {
    const out = await s3.send(new GetBucketLocationCommand({ Bucket: bucket }));
    // S3 reports us-east-1 as an empty constraint and eu-west-1 by its legacy name "EU".
    const constraint = out.LocationConstraint as string | undefined;
    return !constraint ? 'us-east-1' : constraint === 'EU' ? 'eu-west-1' : constraint;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw denied(err, `s3:GetBucketLocation on ${bucket}`);
  }
}

async function bucketPolicy(s3: S3Client, bucket: string): Promise<string | undefined> {
  try {
    return (await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy;
  } catch (err) {
    if (err instanceof Error && err.name === 'NoSuchBucketPolicy') return undefined;
    throw denied(err, `s3:GetBucketPolicy on ${bucket}`);
  }
}

async function awsManagedKmsKey(s3: S3Client, bucket: string): Promise<string | undefined> {
  try {
    const out = await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
    for (const rule of out.ServerSideEncryptionConfiguration?.Rules ?? []) {
      const sse = rule.ApplyServerSideEncryptionByDefault;
      if (sse?.SSEAlgorithm?.startsWith('aws:kms') && (!sse.KMSMasterKeyID || /alias\/aws\/s3$/.test(sse.KMSMasterKeyID))) {
        return 'encrypts with the AWS-managed aws/s3 KMS key, which media pipelines cannot use; switch default encryption to SSE-S3 (AES256) or to a customer managed KMS key whose key policy lets mediapipelines.chime.amazonaws.com kms:GenerateDataKey and kms:Decrypt';
      }
    }
    return undefined;
  } catch (err) {
    if (err instanceof Error && err.name === 'ServerSideEncryptionConfigurationNotFoundError') return undefined;
    throw denied(err, `s3:GetEncryptionConfiguration on ${bucket}`);
  }
}

function denied(err: unknown, permission: string): unknown {
  if (err instanceof Error && /AccessDenied|Forbidden/.test(err.name)) {
    return new AccessDenied(`the VerifyBuckets function needs ${permission}: ${err.message}`);
  }
  return err;
}
