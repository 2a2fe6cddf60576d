import type { BucketInfo } from '../core/context';

/**
 * The media pipelines service's own reading of a bucket policy: may the service principal perform an
 * S3 action on a resource? Written independently of the workflow's checker (functions/lib/bucket-policy.ts)
 * so the two cannot agree on the same mistake. It follows IAM's evaluation for one request: a matching
 * Deny wins, else a matching Allow allows, else the implicit deny. Principal/NotPrincipal,
 * Action/NotAction, Resource/NotResource and the condition operators a bucket policy for this service
 * plausibly uses are understood; a condition on a key the request does not carry does not hold (unless
 * `...IfExists`), which is what IAM does with an absent key.
 */
export const MEDIA_PIPELINES_PRINCIPAL = 'mediapipelines.chime.amazonaws.com';

export interface Grant {
  action: string;
  resource: string;
}

/** Condition keys the service's requests to S3 carry. */
export interface RequestContext {
  /** aws:SourceAccount: the account that owns the pipeline. */
  account: string;
  /** aws:SourceArn: the pipeline's ARN. */
  sourceArn: string;
}

type Strings = string | string[];

interface Statement {
  Effect?: unknown;
  Principal?: unknown;
  NotPrincipal?: unknown;
  Action?: Strings;
  NotAction?: Strings;
  Resource?: Strings;
  NotResource?: Strings;
  Condition?: Record<string, Record<string, unknown>>;
}

/**
 * The grants (of those asked for) the bucket policy does not give the media pipelines service, or the
 * given IAM role when the pipeline acts as one (a capture's SinkIamRoleArn).
 */
export function missingGrants(bucket: BucketInfo, grants: Grant[], request: RequestContext, as?: { role: string }): Grant[] {
  const statements = parseStatements(bucket.policy);
  const names = as ? (principal: unknown) => namesRole(principal, as.role) : namesService;
  return grants.filter((grant) => {
    const applies = statements.filter((s) => appliesTo(s, grant, request, names));
    return applies.some((s) => s.Effect === 'Deny') || !applies.some((s) => s.Effect === 'Allow');
  });
}

/** S3 default encryption with the AWS managed `aws/s3` key, which the service cannot use. */
export function usesAwsManagedKey(bucket: BucketInfo): boolean {
  const enc = bucket.encryption;
  if (!enc || enc.algorithm === 'AES256') return false;
  // Without a key id, SSE-KMS uses the AWS managed key.
  return !enc.kmsKeyId || isAwsManagedS3Key(enc.kmsKeyId);
}

export function isAwsManagedS3Key(keyId: string): boolean {
  return keyId === 'alias/aws/s3' || /^arn:aws[a-z-]*:kms:[^:]*:\d{12}:alias\/aws\/s3$/.test(keyId);
}

function parseStatements(policy: string | undefined): Statement[] {
  if (!policy) return [];
  let doc: unknown;
  try {
    doc = JSON.parse(policy);
  } catch {
    return [];
  }
  const raw = doc && typeof doc === 'object' && 'Statement' in doc ? doc.Statement : undefined;
  const list = Array.isArray(raw) ? raw : raw ? [raw] : [];
  return list.filter((s): s is Statement => !!s && typeof s === 'object');
}

function appliesTo(s: Statement, grant: Grant, request: RequestContext, names: (principal: unknown) => boolean): boolean {
  const principal = s.Principal !== undefined ? names(s.Principal) : s.NotPrincipal !== undefined ? !names(s.NotPrincipal) : false;
  const action = s.Action !== undefined ? anyMatch(s.Action, grant.action, true) : s.NotAction !== undefined ? !anyMatch(s.NotAction, grant.action, true) : false;
  const resource = s.Resource !== undefined ? anyMatch(s.Resource, grant.resource, false) : s.NotResource !== undefined ? !anyMatch(s.NotResource, grant.resource, false) : false;
  return principal && action && resource && conditionsHold(s.Condition, request);
}

function namesService(principal: unknown): boolean {
  if (principal === '*') return true;
  if (!principal || typeof principal !== 'object') return false;
  const p = principal as Record<string, unknown>;
  return strings(p.AWS).includes('*') || strings(p.Service).includes(MEDIA_PIPELINES_PRINCIPAL);
}

/** A principal naming the role: its ARN, its account (`arn:aws:iam::<account>:root` or the bare id), or anyone. */
function namesRole(principal: unknown, roleArn: string): boolean {
  if (principal === '*') return true;
  if (!principal || typeof principal !== 'object') return false;
  const account = roleArn.split(':')[4] ?? '';
  return strings((principal as Record<string, unknown>).AWS).some((p) => p === '*' || p === roleArn || p === account || p === `${roleArn.split(':role/')[0]}:root`);
}

function anyMatch(patterns: unknown, value: string, ignoreCase: boolean): boolean {
  return strings(patterns).some((p) => wildcard(p, ignoreCase).test(value));
}

function strings(value: unknown): string[] {
  const list = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  return list.filter((v): v is string | number | boolean => ['string', 'number', 'boolean'].includes(typeof v)).map(String);
}

/** IAM wildcards: `*` any run of characters, `?` any one character. */
function wildcard(pattern: string, ignoreCase: boolean): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, ignoreCase ? 'i' : '');
}

function conditionsHold(condition: Statement['Condition'], request: RequestContext): boolean {
  if (!condition || typeof condition !== 'object') return true;
  const context: Record<string, string> = {
    'aws:sourceaccount': request.account,
    'aws:sourcearn': request.sourceArn,
    'aws:securetransport': 'true',
    'aws:principalservicename': MEDIA_PIPELINES_PRINCIPAL,
  };
  return Object.entries(condition).every(([rawOperator, entries]) => {
    if (!entries || typeof entries !== 'object') return false;
    // Every key in the request carries a single value, so ForAnyValue/ForAllValues reduce to the plain operator.
    const unqualified = rawOperator.replace(/^For(Any|All)Value:/, '');
    const ifExists = unqualified.endsWith('IfExists');
    const operator = ifExists ? unqualified.slice(0, -'IfExists'.length) : unqualified;
    return Object.entries(entries).every(([key, expected]) => {
      const actual = context[key.toLowerCase()];
      const values = strings(expected);
      if (operator === 'Null') return values.some((v) => (v.toLowerCase() === 'true') === (actual === undefined));
      if (actual === undefined) return ifExists;
      return compare(operator, actual, values);
    });
  });
}

function compare(operator: string, actual: string, values: string[]): boolean {
  switch (operator) {
    case 'StringEquals':
      return values.includes(actual);
    case 'StringNotEquals':
      return !values.includes(actual);
    case 'StringEqualsIgnoreCase':
      return values.some((v) => v.toLowerCase() === actual.toLowerCase());
    case 'StringNotEqualsIgnoreCase':
      return !values.some((v) => v.toLowerCase() === actual.toLowerCase());
    // IAM's ArnEquals behaves like ArnLike (wildcards allowed in each ARN component).
    case 'StringLike':
    case 'ArnLike':
    case 'ArnEquals':
      return values.some((v) => wildcard(v, false).test(actual));
    case 'StringNotLike':
    case 'ArnNotLike':
    case 'ArnNotEquals':
      return !values.some((v) => wildcard(v, false).test(actual));
    case 'Bool':
      return values.some((v) => v.toLowerCase() === actual.toLowerCase());
    default:
      // An operator we do not model cannot be shown to hold.
      return false;
  }
}
