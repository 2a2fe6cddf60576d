import { s3Arn } from './arns';

/**
 * What a bucket policy must grant the Chime SDK media pipelines service, and whether a given policy does.
 * VerifyBuckets uses this before anything is created so a doomed recording fails early, with the exact
 * policy to apply in its error message.
 */
export const MEDIA_PIPELINES_PRINCIPAL = 'mediapipelines.chime.amazonaws.com';

export interface Grant {
  action: string;
  resource: string;
}

/** The account whose media pipelines use the bucket, and its partition (in the ARNs a policy names). */
export interface Owner {
  account: string;
  partition: string;
}

/** Grants a bucket needs for the roles it plays (capture sink, concatenation source, concatenation sink). */
export function requiredGrants(bucket: string, roles: { captureSink: boolean; concatenationSink: boolean }, partition: string): Grant[] {
  const objects = s3Arn(partition, bucket, '*');
  const grants: Grant[] = [];
  if (roles.captureSink || roles.concatenationSink) {
    grants.push({ action: 's3:PutObject', resource: objects }, { action: 's3:PutObjectAcl', resource: objects });
  }
  if (roles.captureSink) {
    // The concatenation pipeline reads the capture chunks back.
    grants.push({ action: 's3:GetObject', resource: objects }, { action: 's3:ListBucket', resource: s3Arn(partition, bucket) });
  }
  return grants;
}

interface Statement {
  Sid?: string;
  Effect?: string;
  Principal?: unknown;
  Action?: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version?: string;
  Id?: string;
  Statement: Statement[];
}

export interface PolicyVerdict {
  missing: Grant[];
  /** Grants present without the aws:SourceAccount / aws:SourceArn confused-deputy conditions. */
  unconditioned: Grant[];
}

/** Evaluates Allow/Deny statements for the media pipelines principal against the required grants. */
export function evaluatePolicy(policyJson: string | undefined, grants: Grant[], owner: Owner): PolicyVerdict {
  const statements = parsePolicy(policyJson)?.Statement ?? [];
  const forService = statements.filter((s) => principalIncludesService(s.Principal));
  const missing: Grant[] = [];
  const unconditioned: Grant[] = [];
  for (const grant of grants) {
    const covers = (s: Statement) => list(s.Action).some((a) => wildcardMatch(a, grant.action)) && list(s.Resource).some((r) => wildcardMatch(r, grant.resource));
    const denied = forService.some((s) => s.Effect === 'Deny' && covers(s) && conditionsAllow(s.Condition, owner));
    const allows = forService.filter((s) => s.Effect === 'Allow' && covers(s) && conditionsAllow(s.Condition, owner));
    if (denied || allows.length === 0) missing.push(grant);
    else if (!allows.some((s) => hasConfusedDeputyConditions(s.Condition))) unconditioned.push(grant);
  }
  return { missing, unconditioned };
}

/** The statement to add for the grants, with the confused-deputy conditions AWS recommends. */
export function grantStatement(grants: Grant[], owner: Owner): Statement {
  return {
    Sid: 'AWSChimeMediaPipelinesAccess',
    Effect: 'Allow',
    Principal: { Service: MEDIA_PIPELINES_PRINCIPAL },
    Action: [...new Set(grants.map((g) => g.action))],
    Resource: [...new Set(grants.map((g) => g.resource))].sort(),
    Condition: {
      StringEquals: { 'aws:SourceAccount': owner.account },
      ArnLike: { 'aws:SourceArn': `arn:${owner.partition}:chime:*:${owner.account}:*` },
    },
  };
}

/**
 * The complete policy to apply: the bucket's current statements (minus an earlier copy of our statement)
 * plus one statement granting everything the bucket needs. Granting all needed grants (not only the
 * missing ones) keeps the statement self-contained and idempotent to re-apply.
 */
export function policyToApply(policyJson: string | undefined, grants: Grant[], owner: Owner): PolicyDocument {
  const current = parsePolicy(policyJson);
  const ours = grantStatement(grants, owner);
  const kept = (current?.Statement ?? []).filter((s) => s.Sid !== ours.Sid);
  return { Version: current?.Version ?? '2012-10-17', ...(current?.Id ? { Id: current.Id } : {}), Statement: [...kept, ours] };
}

function parsePolicy(policyJson: string | undefined): PolicyDocument | undefined {
  if (!policyJson) return undefined;
  try {
    const doc = JSON.parse(policyJson) as { Statement?: unknown };
    const statements = Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : [];
    return { ...(doc as PolicyDocument), Statement: statements as Statement[] };
  } catch {
    return undefined;
  }
}

function list(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function principalIncludesService(principal: unknown): boolean {
  if (principal === '*') return true;
  if (!principal || typeof principal !== 'object') return false;
  const p = principal as Record<string, string | string[]>;
  if (p.AWS === '*') return true;
  return list(p.Service).includes(MEDIA_PIPELINES_PRINCIPAL);
}

/** IAM wildcard match: `*` any run of characters, `?` one character, case-insensitive for actions. */
export function wildcardMatch(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return re.test(value);
}

/**
 * Whether the statement's conditions can hold for a request the service makes on behalf of this account.
 * Understood: the two keys the service sets, and aws:SecureTransport (the service calls S3 over TLS, so the
 * usual TLS-only Deny never applies to it). Any other condition key is assumed to hold (we cannot know its
 * value), which errs on the side of reporting the bucket ready.
 */
function conditionsAllow(condition: Statement['Condition'], { account, partition }: Owner): boolean {
  if (!condition) return true;
  for (const [operator, entries] of Object.entries(condition)) {
    for (const [key, expected] of Object.entries(entries)) {
      const values = list(expected);
      if (key.toLowerCase() === 'aws:securetransport' && /^Bool/i.test(operator)) {
        // Policies written as JSON may hold a boolean here rather than the string IAM documents.
        if (!values.some((v) => String(v).toLowerCase() === 'true')) return false;
      }
      if (key.toLowerCase() === 'aws:sourceaccount' && /StringEquals|StringLike/i.test(operator)) {
        if (!values.some((v) => wildcardMatch(v, account))) return false;
      }
      if (key.toLowerCase() === 'aws:sourcearn' && /ArnLike|ArnEquals|StringLike|StringEquals/i.test(operator)) {
        if (!values.some((v) => wildcardMatch(v, `arn:${partition}:chime:us-east-1:${account}:media-pipeline/x`) || v.split(':')[4] === account)) return false;
      }
    }
  }
  return true;
}

function hasConfusedDeputyConditions(condition: Statement['Condition']): boolean {
  const keys = Object.values(condition ?? {}).flatMap((entries) => Object.keys(entries).map((k) => k.toLowerCase()));
  return keys.includes('aws:sourceaccount') || keys.includes('aws:sourcearn');
}
