import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { evaluatePolicy, grantStatement, requiredGrants } from '../../functions/lib/bucket-policy';
import { QUOTA_KEY_PREFIX } from '../../functions/lib/quota';
import { stackRegions } from '../../functions/lib/regions.json';
import { buildPlan } from '../../functions/validate-request/validate';
import { buildBundles } from '../../scripts/bundles';
import { PACKAGE_TIMEOUT_MS, ROOT, cfnLint, cfnLintInstalled, effectiveTemplate, isObject, packageStack, type CfnResource, type PackagedStack, type Template } from '../fixtures/stack';

/**
 * The security of the CloudFormation template a deploy would create, in both bucket modes: using existing
 * buckets (the default) and creating them (--param="createBuckets=true", also with SSE-KMS). Each function
 * has its own role with exactly the actions its code sends; no Allow grants a wildcard action; "*" as a
 * resource only for actions that have no resource-level permissions; the state machine may invoke only
 * this stack's functions; created buckets are private, TLS-only, encrypted and grant media pipelines
 * exactly what VerifyBuckets requires; logs and traces carry no execution data; API methods need SigV4.
 */

/**
 * What each function's code sends (functions/<name>/ and the functions/lib/ helpers it calls), as IAM
 * actions. Every function also gets BASE_ACTIONS. A function missing here fails the test: add its row.
 */
const EXPECTED_ACTIONS: Record<string, string[]> = {
  validateRequest: [],
  ensureServiceLinkedRole: ['dynamodb:UpdateItem', 'iam:GetRole', 'iam:CreateServiceLinkedRole'],
  verifyBuckets: ['s3:GetBucketLocation', 's3:GetBucketPolicy', 's3:GetEncryptionConfiguration', 'chime:GetMeeting'],
  createMeeting: ['chime:CreateMeeting', 'chime:TagResource', 'chime:GetMeeting', 'chime:ListAttendees', 'chime:DeleteMeeting', 'dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
  startCapture: ['chime:CreateMediaCapturePipeline', 'chime:TagResource', 's3:GetBucketPolicy', 'dynamodb:UpdateItem'],
  startLiveConnector: ['chime:CreateMediaLiveConnectorPipeline', 'chime:TagResource', 'secretsmanager:GetSecretValue', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
  awaitMeetingEnd: ['chime:GetMeeting', 'chime:GetMediaPipeline', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'states:SendTaskSuccess', 'states:SendTaskFailure'],
  meetingEvents: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query', 'chime:GetMediaPipeline', 'states:SendTaskSuccess', 'states:SendTaskFailure', 's3:ListBucket'],
  startConcatenation: ['chime:CreateMediaConcatenationPipeline', 'chime:TagResource', 'chime:DeleteMediaPipeline', 'chime:DeleteMeeting', 's3:GetBucketPolicy', 'dynamodb:UpdateItem'],
  awaitConcatenation: ['chime:GetMediaPipeline', 's3:ListBucket', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'states:SendTaskSuccess', 'states:SendTaskFailure'],
  verifyRecording: ['s3:ListBucket', 's3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:DeleteObject', 'kms:Decrypt', 'kms:GenerateDataKey', 'dynamodb:GetItem'],
  cleanup: ['chime:DeleteMeeting', 'chime:DeleteMediaPipeline', 's3:ListBucket', 's3:DeleteObject', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
  api: ['states:StartExecution', 'states:ListExecutions', 'states:DescribeExecution', 'states:SendTaskSuccess', 'dynamodb:Query', 'dynamodb:UpdateItem', 's3:GetObject', 'kms:Decrypt'],
  reconciler: ['dynamodb:Scan', 'dynamodb:UpdateItem', 'states:DescribeExecution', 'chime:GetMediaPipeline', 'chime:ListTagsForResource', 'chime:DeleteMediaPipeline', 'chime:GetMeeting', 'chime:DeleteMeeting'],
};

/** Writing its own logs (serverless-iam-roles-per-function) and traces (active tracing). */
const BASE_ACTIONS = ['logs:CreateLogStream', 'logs:CreateLogGroup', 'logs:PutLogEvents', 'xray:PutTraceSegments', 'xray:PutTelemetryRecords'];

/**
 * Actions AWS documents with no resource-level permissions (no resource type in the Service Authorization
 * Reference): "*" is the only resource they take. Checked against cfn-lint's copy of the reference below.
 */
const NO_RESOURCE_LEVEL = new Set([
  'chime:CreateMeeting',
  'chime:CreateMediaCapturePipeline',
  'chime:CreateMediaConcatenationPipeline',
  'chime:CreateMediaLiveConnectorPipeline',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
]);

/**
 * "*" for an action that does support resource-level permissions, where AWS documents the grant that way:
 * a caller creating capture or concatenation pipelines "must also have permission to call the Amazon S3
 * GetBucketPolicy API on all resources" (https://docs.aws.amazon.com/chime-sdk/latest/dg/create-pipeline.html,
 * whose example policy's Resource is "*"). By function.
 */
const DOCUMENTED_ALL_RESOURCES: Record<string, string[]> = {
  startCapture: ['s3:GetBucketPolicy'],
  startConcatenation: ['s3:GetBucketPolicy'],
};

/** Actions AWS checks on the caller for a call the code sends, beyond the call's own action. */
const IMPLIED_BY: Record<string, string[]> = {
  // Tags given on create are authorized as chime:TagResource on the new resource.
  'chime:CreateMeeting': ['chime:TagResource'],
  // Media pipelines read the sink bucket's policy with the caller's credentials.
  'chime:CreateMediaCapturePipeline': ['chime:TagResource', 's3:GetBucketPolicy'],
  'chime:CreateMediaConcatenationPipeline': ['chime:TagResource', 's3:GetBucketPolicy'],
  'chime:CreateMediaLiveConnectorPipeline': ['chime:TagResource'],
  // S3 decrypts an SSE-KMS object with the reader's kms:Decrypt; a presigned GET reads with its signer's.
  's3:GetObject': ['kms:Decrypt'],
  // S3 encrypts a written SSE-KMS object with a data key it asks for with the writer's permissions.
  's3:PutObject': ['kms:GenerateDataKey'],
  // A copy reads its source and writes its destination ("CopyObject", S3 API Reference: Permissions).
  's3:CopyObject': ['s3:GetObject', 's3:PutObject', 'kms:Decrypt', 'kms:GenerateDataKey'],
  's3:UploadPartCopy': ['s3:GetObject', 'kms:Decrypt'],
};

/** The state machine's role (serverless-step-functions): invoke, deliver logs, write traces. */
const STATE_MACHINE_ACTIONS = [
  'lambda:InvokeFunction',
  // The recording events (Announce* states), on the account's default bus only.
  'events:PutEvents',
  ...[...NO_RESOURCE_LEVEL].filter((a) => a.startsWith('logs:')),
  ...['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'],
];

const ACCOUNT = '123456789012';
const OWNER = { account: ACCOUNT, partition: 'aws' };

interface Statement {
  Sid?: string;
  Effect: string;
  Principal?: unknown;
  Action?: string | string[];
  NotAction?: unknown;
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort();
const resourcesOf = (t: Template, type: string) => Object.entries(t.Resources).filter(([, r]) => r.Type === type);
const functionKey = (logicalId: string) => logicalId.replace(/LambdaFunction$/, '').replace(/^./, (c) => c.toLowerCase());
const roleStatements = (role: CfnResource): Statement[] => list(role.Properties.Policies).flatMap((p: any) => list(p.PolicyDocument.Statement));
const allowedActions = (statements: Statement[]) => sorted(statements.filter((s) => s.Effect === 'Allow').flatMap((s) => list(s.Action)));

/** Every policy document in the template, with where it is. */
function policyDocuments(t: Template): Array<{ where: string; kind: 'identity' | 'key' | 'resource'; statements: Statement[] }> {
  const docs: Array<{ where: string; kind: 'identity' | 'key' | 'resource'; statements: Statement[] }> = [];
  for (const [id, r] of Object.entries(t.Resources)) {
    if (r.Type === 'AWS::IAM::Role') docs.push({ where: id, kind: 'identity', statements: roleStatements(r) });
    if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') docs.push({ where: id, kind: 'identity', statements: list(r.Properties.PolicyDocument.Statement) });
    if (r.Type === 'AWS::KMS::Key') docs.push({ where: id, kind: 'key', statements: list(r.Properties.KeyPolicy.Statement) });
    if (r.Type === 'AWS::S3::BucketPolicy' || r.Type === 'AWS::SQS::QueuePolicy' || r.Type === 'AWS::SNS::TopicPolicy') {
      docs.push({ where: id, kind: 'resource', statements: list(r.Properties.PolicyDocument.Statement) });
    }
  }
  return docs;
}

/** Problems with the functions' roles: one own role each, with exactly the expected actions. */
function functionRoleProblems(t: Template): string[] {
  const problems: string[] = [];
  const users = new Map<string, string[]>();
  for (const [id, fn] of resourcesOf(t, 'AWS::Lambda::Function')) {
    const name = functionKey(id);
    const roleId = fn.Properties.Role?.['Fn::GetAtt']?.[0] as string | undefined;
    const role = roleId ? t.Resources[roleId] : undefined;
    if (!roleId || role?.Type !== 'AWS::IAM::Role') {
      problems.push(`function "${name}" (${id}) does not use a role of this template`);
      continue;
    }
    users.set(roleId, [...(users.get(roleId) ?? []), name]);
    if (list(role.Properties.ManagedPolicyArns).length > 0) problems.push(`function "${name}": its role ${roleId} has managed policies`);
    const expected = EXPECTED_ACTIONS[name];
    if (!expected) {
      problems.push(`function "${name}" (${id}) has no row in EXPECTED_ACTIONS (test/unit/template.test.ts): add the IAM actions its code sends`);
      continue;
    }
    const actual = allowedActions(roleStatements(role));
    const want = sorted([...BASE_ACTIONS, ...expected]);
    if (JSON.stringify(actual) !== JSON.stringify(want)) {
      const extra = actual.filter((a) => !want.includes(a));
      const missing = want.filter((a) => !actual.includes(a));
      const parts = [extra.length ? `grants unexpected [${extra}]` : '', missing.length ? `lacks [${missing}]` : ''].filter(Boolean);
      problems.push(`function "${name}": role ${roleId} ${parts.join(' and ')}`);
    }
  }
  for (const [roleId, names] of users) if (names.length > 1) problems.push(`functions ${names.join(', ')} share the role ${roleId}`);
  for (const name of Object.keys(EXPECTED_ACTIONS)) {
    if (!resourcesOf(t, 'AWS::Lambda::Function').some(([id]) => functionKey(id) === name)) problems.push(`EXPECTED_ACTIONS has a row for "${name}", which the template does not hold`);
  }
  return problems;
}

/** Allow statements that grant a wildcard or NotAction (the KMS key's account-root statement aside). */
function wildcardActionProblems(t: Template): string[] {
  const problems: string[] = [];
  for (const doc of policyDocuments(t)) {
    for (const s of doc.statements.filter((x) => x.Effect === 'Allow')) {
      if (s.NotAction !== undefined) problems.push(`${doc.where}: Allow with NotAction`);
      // AWS's default key policy statement delegates the key to the account's IAM policies; it grants nothing itself.
      if (doc.kind === 'key' && isAccountRoot(s.Principal)) continue;
      for (const a of list(s.Action)) if (a.includes('*')) problems.push(`${doc.where}: Allow grants the wildcard action ${a}`);
    }
  }
  return problems;
}

function isAccountRoot(principal: unknown): boolean {
  return isObject(principal) && JSON.stringify(principal.AWS) === JSON.stringify({ 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' });
}

/**
 * Problems with identity policies' resources: "*" only for NO_RESOURCE_LEVEL actions; anything else names
 * a resource of this stack or this account (S3 ARNs carry no account: they need s3:ResourceAccount).
 */
function resourceScopeProblems(t: Template): string[] {
  const problems: string[] = [];
  const functionOfRole = new Map(resourcesOf(t, 'AWS::Lambda::Function').map(([id, fn]) => [fn.Properties.Role?.['Fn::GetAtt']?.[0] as string, functionKey(id)]));
  const scoped = (r: unknown, s: Statement): boolean => {
    if (isObject(r) && Array.isArray(r['Fn::GetAtt'])) return (r['Fn::GetAtt'] as string[])[0]! in t.Resources;
    if (isObject(r) && typeof r.Ref === 'string') return r.Ref in t.Resources;
    const [text, vars] = isObject(r) && r['Fn::Sub'] !== undefined ? list(r['Fn::Sub'] as unknown) : [r];
    if (typeof text !== 'string') return false;
    const names = [...text.matchAll(/\$\{([^}]+)\}/g)].map((m) => m[1]!.split('.')[0]!);
    // An ARN in this account is scoped whatever its variables name (the default event bus: ${eventBus}).
    if (isObject(vars)) return names.includes('AWS::AccountId') || Object.values(vars).every((v) => scoped(v, s));
    if (names.includes('AWS::AccountId') || names.some((n) => n in t.Resources)) return true;
    const inThisAccount = JSON.stringify(s.Condition?.StringEquals?.['s3:ResourceAccount']) === JSON.stringify({ Ref: 'AWS::AccountId' });
    return /^arn:(\$\{AWS::Partition\}|aws):s3:::/.test(text) && inThisAccount;
  };
  for (const doc of policyDocuments(t).filter((d) => d.kind === 'identity')) {
    for (const s of doc.statements.filter((x) => x.Effect === 'Allow')) {
      for (const r of list(s.Resource)) {
        if (r === '*') {
          const documented = DOCUMENTED_ALL_RESOURCES[functionOfRole.get(doc.where) ?? ''] ?? [];
          const bad = list(s.Action).filter((a) => !NO_RESOURCE_LEVEL.has(a) && !documented.includes(a));
          if (bad.length) problems.push(`${doc.where}: Resource "*" for [${bad}], which support resource-level permissions`);
        } else if (!scoped(r, s)) {
          problems.push(`${doc.where}: [${list(s.Action)}] on ${JSON.stringify(r)} is not scoped to this stack or account`);
        }
      }
    }
  }
  return problems;
}

/** API methods must require SigV4 (AWS_IAM) and there must be no unauthenticated OPTIONS (CORS) methods. */
function apiProblems(t: Template): string[] {
  const problems: string[] = [];
  for (const [id, m] of resourcesOf(t, 'AWS::ApiGateway::Method')) {
    if (m.Properties.AuthorizationType !== 'AWS_IAM') problems.push(`${id}: AuthorizationType ${m.Properties.AuthorizationType ?? '(none)'}, not AWS_IAM`);
    if (m.Properties.HttpMethod === 'OPTIONS') problems.push(`${id}: an OPTIONS method (CORS preflight) answers without authorization`);
  }
  for (const [id, r] of resourcesOf(t, 'AWS::ApiGatewayV2::Route')) {
    if (r.Properties.AuthorizationType !== 'AWS_IAM') problems.push(`${id}: AuthorizationType ${r.Properties.AuthorizationType ?? '(none)'}, not AWS_IAM`);
  }
  return problems;
}

/**
 * IAM actions the function's code can send: `new XCommand(` in the modules its handler imports, mapped to
 * the action IAM checks, plus what AWS checks alongside them (IMPLIED_BY).
 */
function reachableActions(handler: string): Set<string> {
  const prefixes: Record<string, string> = {
    'client-chime-sdk-meetings': 'chime',
    'client-chime-sdk-media-pipelines': 'chime',
    'client-dynamodb': 'dynamodb',
    'client-iam': 'iam',
    'client-s3': 's3',
    'client-sfn': 'states',
    'client-secrets-manager': 'secretsmanager',
  };
  const renamed: Record<string, string> = {
    's3:ListObjectsV2': 's3:ListBucket',
    's3:DeleteObjects': 's3:DeleteObject',
    's3:GetBucketEncryption': 's3:GetEncryptionConfiguration',
    's3:HeadObject': 's3:GetObject',
    // The multipart calls are authorized as s3:PutObject ("Multipart upload API and permissions", S3 User Guide).
    's3:CreateMultipartUpload': 's3:PutObject',
    's3:CompleteMultipartUpload': 's3:PutObject',
  };
  const actions = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = fs.readFileSync(file, 'utf8');
    for (const m of source.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+'@aws-sdk\/([^']+)'/g)) {
      const prefix = prefixes[m[2]!];
      for (const name of m[1]!.split(',').map((n) => n.trim().replace(/^type\s+/, ''))) {
        // A command made with `new XCommand(`, or a paginator `paginateX(` (which sends XCommand).
        const command = /^(\w+)Command$/.exec(name)?.[1] ?? /^paginate(\w+)$/.exec(name)?.[1];
        const call = name.endsWith('Command') ? `new ${name}\\(` : `${name}\\(`;
        if (!prefix || !command || !new RegExp(call).test(source)) continue;
        const action = renamed[`${prefix}:${command}`] ?? `${prefix}:${command}`;
        for (const a of [action, ...(IMPLIED_BY[action] ?? [])]) actions.add(a);
      }
    }
    // Modules only: a JSON import (region lists) sends nothing.
    for (const m of source.matchAll(/from\s+'(\.{1,2}\/[^']+)'/g)) if (!m[1]!.endsWith('.json')) visit(`${path.resolve(path.dirname(file), m[1]!)}.ts`);
  };
  visit(path.join(ROOT, `${handler.slice(0, handler.lastIndexOf('.'))}.ts`));
  return actions;
}

/** Intrinsic functions replaced by concrete names, to compare a policy with what the code computes. */
function materialize(v: unknown, names: Record<string, string>): unknown {
  const name = (k: string) => {
    if (!(k in names)) throw new Error(`no value for ${k}`);
    return names[k]!;
  };
  if (Array.isArray(v)) return v.map((x) => materialize(x, names));
  if (!isObject(v)) return v;
  if (typeof v.Ref === 'string') return name(v.Ref);
  if (Array.isArray(v['Fn::GetAtt'])) return name((v['Fn::GetAtt'] as string[]).join('.'));
  if (typeof v['Fn::Sub'] === 'string') return (v['Fn::Sub'] as string).replace(/\$\{([^}]+)\}/g, (_, k: string) => name(k));
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, materialize(x, names)]));
}

const NAMES: Record<string, string> = {
  'AWS::AccountId': ACCOUNT,
  'AWS::Partition': 'aws',
  'AWS::Region': 'us-east-1',
  CaptureBucket: 'capture-bucket',
  'CaptureBucket.Arn': 'arn:aws:s3:::capture-bucket',
  ConcatenationBucket: 'concatenation-bucket',
  'ConcatenationBucket.Arn': 'arn:aws:s3:::concatenation-bucket',
};

/** cfn-lint's copy of the Service Authorization Reference, when cfn-lint is installed. */
function serviceReference(): Record<string, { Actions: Record<string, { Resources?: string[] }> }> | undefined {
  const where = spawnSync('python3', ['-c', 'import cfnlint, os; print(os.path.dirname(cfnlint.__file__))'], { encoding: 'utf8' });
  const file = path.join(where.stdout.trim(), 'data/AdditionalSpecs/Policies.json');
  return where.status === 0 && fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : undefined;
}

let existing: PackagedStack;
let created: PackagedStack;
let ownTopic: PackagedStack;
/** An alarm topic given as a param (its partition is the test's business, not the template's). */
const GIVEN_TOPIC = `arn:${'aws'}:sns:us-east-1:${'123456789012'}:on-call`;
const modes = () => ({
  default: effectiveTemplate(existing.template),
  createBuckets: effectiveTemplate(created.template),
  'createBuckets, SSE-KMS': effectiveTemplate(created.template, { BucketEncryption: 'SSE-KMS' }),
});

beforeAll(() => {
  existing = packageStack();
  // In another region the stack supports: the template does not depend on the region.
  created = packageStack({ createBuckets: 'true' }, 'us-west-2');
  ownTopic = packageStack({ alarmTopicArn: GIVEN_TOPIC });
}, PACKAGE_TIMEOUT_MS);
afterAll(() => {
  existing?.remove();
  created?.remove();
  ownTopic?.remove();
});

describe('packaged template', () => {
  (cfnLintInstalled ? it : it.skip)('passes cfn-lint in both bucket modes, for every region the stack supports', () => {
    expect(cfnLint([existing.templateFile, created.templateFile], stackRegions)).toBe('');
  }, 120_000);

  it('writes no partition out: arn:aws: appears in neither the template nor any function bundle', async () => {
    for (const stack of [existing, created]) expect(fs.readFileSync(stack.templateFile, 'utf8')).not.toContain('arn:aws:');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bundles-'));
    try {
      for (const b of await buildBundles(ROOT, dir)) expect({ bundle: b.name, hardCoded: fs.readFileSync(b.file, 'utf8').includes('arn:aws:') }).toEqual({ bundle: b.name, hardCoded: false });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('grants s3:GetBucketPolicy as AWS documents it (all resources, no condition) to the functions that create pipelines that check it', () => {
    for (const t of Object.values(modes())) {
      const granted = resourcesOf(t, 'AWS::Lambda::Function').flatMap(([id, fn]) =>
        roleStatements(t.Resources[fn.Properties.Role['Fn::GetAtt'][0]]!)
          .filter((s) => list(s.Action).includes('s3:GetBucketPolicy') && s.Resource === '*')
          .map((s) => ({ fn: functionKey(id), statement: s })),
      );
      expect(granted).toEqual(Object.keys(DOCUMENTED_ALL_RESOURCES).map((fn) => ({ fn, statement: { Effect: 'Allow', Action: ['s3:GetBucketPolicy'], Resource: '*' } })));
    }
  });

  it('lets ensureServiceLinkedRole read the role by its ARN and by its name without the path (what IAM may authorize GetRole of a missing role against)', () => {
    const t = modes().default;
    const role = t.Resources[t.Resources.EnsureServiceLinkedRoleLambdaFunction!.Properties.Role['Fn::GetAtt'][0]]!;
    const getRole = roleStatements(role).filter((s) => list(s.Action).includes('iam:GetRole'));
    expect(getRole.flatMap((s) => list(s.Resource as unknown))).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws-service-role/mediapipelines.chime.amazonaws.com/AWSServiceRoleForAmazonChimeSDKMediaPipelines' },
      { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/AWSServiceRoleForAmazonChimeSDKMediaPipelines' },
    ]);
  });

  it("lets ensureServiceLinkedRole write only the request budget's items (partition keys quota#...) of the recordings table", () => {
    const t = modes().default;
    const role = t.Resources[t.Resources.EnsureServiceLinkedRoleLambdaFunction!.Properties.Role['Fn::GetAtt'][0]]!;
    const writes = roleStatements(role).filter((s) => list(s.Action).some((a) => a.startsWith('dynamodb:')));
    expect(writes).toEqual([
      { Effect: 'Allow', Action: ['dynamodb:UpdateItem'], Resource: { 'Fn::GetAtt': ['RecordingsTable', 'Arn'] }, Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['quota#*'] } } },
    ]);
    expect(QUOTA_KEY_PREFIX).toBe('quota#');
  });

  it('gives each function its own role with exactly the actions its code sends', () => {
    for (const t of Object.values(modes())) expect(functionRoleProblems(t)).toEqual([]);
  });

  it('grants no action a function cannot send', () => {
    for (const [id, fn] of resourcesOf(existing.template, 'AWS::Lambda::Function')) {
      const name = functionKey(id);
      const reachable = reachableActions(fn.Properties.Handler);
      expect({ name, unreachable: (EXPECTED_ACTIONS[name] ?? []).filter((a) => !reachable.has(a)) }).toEqual({ name, unreachable: [] });
    }
  });

  it('grants no wildcard action, and "*" resources only where AWS has no resource-level permissions', () => {
    for (const t of Object.values(modes())) {
      expect(wildcardActionProblems(t)).toEqual([]);
      expect(resourceScopeProblems(t)).toEqual([]);
    }
  });

  it('keeps the role serverless creates as a template unused, and harmless', () => {
    const used = new Set([
      ...resourcesOf(existing.template, 'AWS::Lambda::Function').map(([, f]) => f.Properties.Role['Fn::GetAtt'][0]),
      ...resourcesOf(existing.template, 'AWS::StepFunctions::StateMachine').map(([, m]) => m.Properties.RoleArn['Fn::GetAtt'][0]),
    ]);
    for (const [id, role] of resourcesOf(existing.template, 'AWS::IAM::Role').filter(([id]) => !used.has(id))) {
      expect({ id, actions: allowedActions(roleStatements(role)).filter((a) => ![...BASE_ACTIONS, 'logs:TagResource'].includes(a)) }).toEqual({ id, actions: [] });
    }
  });

  it('lets the state machine invoke only this stack\'s functions, and publish only to the default bus', () => {
    const t = existing.template;
    const [[, machine]] = resourcesOf(t, 'AWS::StepFunctions::StateMachine') as [[string, CfnResource]];
    const role = t.Resources[machine.Properties.RoleArn['Fn::GetAtt'][0]]!;
    expect(JSON.stringify(role.Properties.AssumeRolePolicyDocument.Statement)).toBe(JSON.stringify([{ Effect: 'Allow', Principal: { Service: { 'Fn::Sub': 'states.${AWS::Region}.amazonaws.com' } }, Action: 'sts:AssumeRole' }]));
    const statements = roleStatements(role);
    expect(allowedActions(statements)).toEqual(sorted(STATE_MACHINE_ACTIONS));
    // The events' source is the stack's own: the framework resolved its variables in the definition.
    const definition = String(machine.Properties.DefinitionString['Fn::Sub'][0]);
    expect(definition).not.toMatch(/\$\{(sls|self):/);
    const sources = Object.values(JSON.parse(definition).States as Record<string, any>).flatMap((s) => (s.Parameters?.Entries ?? []).map((e: { Source: string }) => e.Source));
    expect(new Set(sources)).toEqual(new Set(['chime-recording.ci']));
    const publish = statements.filter((s) => list(s.Action).includes('events:PutEvents'));
    expect(publish.flatMap((s) => list(s.Resource as unknown))).toEqual([{ 'Fn::Sub': ['arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/${eventBus}', { eventBus: 'default' }] }]);
    const functions = new Set(resourcesOf(t, 'AWS::Lambda::Function').map(([id]) => id));
    const invoked = statements.filter((s) => list(s.Action).includes('lambda:InvokeFunction'));
    expect(invoked.every((s) => list(s.Action).length === 1)).toBe(true);
    for (const r of invoked.flatMap((s) => list(s.Resource as unknown))) {
      const getAtt = isObject(r) ? ((r['Fn::GetAtt'] ?? (r['Fn::Sub'] as any)?.[1]?.functionArn?.['Fn::GetAtt']) as string[] | undefined) : undefined;
      if (isObject(r) && r['Fn::Sub']) expect((r['Fn::Sub'] as unknown[])[0]).toBe('${functionArn}:*');
      expect(functions.has(getAtt?.[0] ?? '')).toBe(true);
    }
  });

  it('matches its "*" allow-list and its actions against the Service Authorization Reference (cfn-lint\'s copy)', () => {
    const reference = serviceReference();
    if (!reference) return;
    const lookup = (action: string) => reference[action.split(':')[0]!]?.Actions[action.split(':')[1]!.toLowerCase()];
    for (const a of NO_RESOURCE_LEVEL) expect({ a, resources: lookup(a)?.Resources ?? [] }).toEqual({ a, resources: [] });
    for (const t of Object.values(modes())) {
      for (const doc of policyDocuments(t).filter((d) => d.kind === 'identity')) {
        for (const a of allowedActions(doc.statements)) expect({ a, known: lookup(a) !== undefined }).toEqual({ a, known: true });
      }
    }
  });

  it('lets the api function read only the concatenation buckets\' objects (download links), and decrypt them only through S3', () => {
    for (const [mode, t] of Object.entries(modes())) {
      const role = t.Resources[t.Resources.ApiLambdaFunction!.Properties.Role['Fn::GetAtt'][0]]!;
      const reads = roleStatements(role).filter((s) => list(s.Action).some((a) => a.startsWith('s3:')));
      const createdBucket = mode === 'default' ? [] : [{ 'Fn::Sub': '${ConcatenationBucket.Arn}/*' }];
      expect({ mode, reads }).toEqual({
        mode,
        reads: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: [{ 'Fn::Sub': 'arn:${AWS::Partition}:s3:::*/*' }, ...createdBucket], Condition: { StringEquals: { 's3:ResourceAccount': { Ref: 'AWS::AccountId' } } } }],
      });
      const [decrypt, ...more] = roleStatements(role).filter((s) => list(s.Action).includes('kms:Decrypt'));
      expect(more).toEqual([]);
      expect(decrypt!.Condition?.StringLike).toEqual({
        'kms:ViaService': 's3.*.amazonaws.com',
        'kms:EncryptionContext:aws:s3:arn': [
          { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::*' },
          { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::*/*' },
          ...(mode === 'default' ? [] : [{ 'Fn::GetAtt': ['ConcatenationBucket', 'Arn'] }, { 'Fn::Sub': '${ConcatenationBucket.Arn}/*' }]),
        ],
      });
    }
    // The links' lifetime is a stack parameter, bounded as SigV4 allows.
    expect(existing.template.Parameters?.DownloadLinkSeconds).toMatchObject({ Type: 'Number', Default: 3600, MinValue: 1, MaxValue: 604800 });
    expect(existing.template.Resources.ApiLambdaFunction!.Properties.Environment.Variables.DOWNLOAD_LINK_SECONDS).toEqual({ Ref: 'DownloadLinkSeconds' });
  });

  it('requires SigV4 (AWS_IAM) on every API method, with no OPTIONS methods', () => {
    for (const t of Object.values(modes())) expect(apiProblems(t)).toEqual([]);
  });
});

describe('buckets', () => {
  it('warns at package time when the stack would have no default capture bucket, naming both fixes', () => {
    expect(existing.output).toContain('No default capture bucket');
    expect(existing.output).toContain('--param="createBuckets=true"');
    expect(existing.output).toContain('--param="captureBucket=NAME"');
    expect(created.output).not.toContain('No default capture bucket');
  });

  it('creates none by default: the functions use the buckets given as params', () => {
    const t = modes().default;
    expect(existing.template.Parameters?.CreateBuckets?.Default).toBe('false');
    expect(resourcesOf(t, 'AWS::S3::Bucket').map(([id]) => id)).toEqual(['ServerlessDeploymentBucket']);
    expect(resourcesOf(t, 'AWS::KMS::Key')).toEqual([]);
    for (const [, fn] of resourcesOf(t, 'AWS::Lambda::Function')) {
      expect(fn.Properties.Environment.Variables).toMatchObject({ CAPTURE_BUCKET: '', CONCATENATION_BUCKET: '' });
    }
  });

  it('creates private, TLS-only, retained buckets and points the functions at them', () => {
    for (const [mode, t] of Object.entries(modes()).filter(([m]) => m !== 'default')) {
      for (const id of ['CaptureBucket', 'ConcatenationBucket']) {
        const bucket = t.Resources[id]!;
        expect({ mode, id, retained: [bucket.DeletionPolicy, bucket.UpdateReplacePolicy] }).toEqual({ mode, id, retained: ['Retain', 'Retain'] });
        expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
        // ACLs stay enabled because media pipelines set one (they need s3:PutObjectAcl); public ones are blocked above.
        expect(bucket.Properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerPreferred' }] });
        const [policy] = resourcesOf(t, 'AWS::S3::BucketPolicy').filter(([, p]) => p.Properties.Bucket.Ref === id).map(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);
        expect(policy!.find((s) => s.Effect === 'Deny')).toEqual({
          Sid: 'DenyInsecureTransport',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          Resource: [{ 'Fn::GetAtt': [id, 'Arn'] }, { 'Fn::Sub': `\${${id}.Arn}/*` }],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        });
      }
      for (const [, fn] of resourcesOf(t, 'AWS::Lambda::Function')) {
        expect(fn.Properties.Environment.Variables).toMatchObject({ CAPTURE_BUCKET: { Ref: 'CaptureBucket' }, CONCATENATION_BUCKET: { Ref: 'ConcatenationBucket' } });
      }
    }
  });

  it('grants media pipelines exactly what VerifyBuckets requires (functions/lib/bucket-policy.ts), under SourceAccount/SourceArn', () => {
    const t = modes().createBuckets;
    const cases = [
      { id: 'CaptureBucket', bucket: 'capture-bucket', roles: { captureSink: true, concatenationSink: false } },
      { id: 'ConcatenationBucket', bucket: 'concatenation-bucket', roles: { captureSink: false, concatenationSink: true } },
    ];
    for (const { id, bucket, roles } of cases) {
      const [[, policy]] = resourcesOf(t, 'AWS::S3::BucketPolicy').filter(([, p]) => p.Properties.Bucket.Ref === id) as [[string, CfnResource]];
      const document = materialize(policy.Properties.PolicyDocument, NAMES) as { Statement: Statement[] };
      const grants = requiredGrants(bucket, roles, 'aws');
      expect(document.Statement.filter((s) => s.Effect === 'Allow')).toEqual([grantStatement(grants, OWNER)]);
      expect(evaluatePolicy(JSON.stringify(document), grants, OWNER)).toEqual({ missing: [], unconditioned: [] });
    }
  });

  it('documents in the README exactly the statements a bucket brought by the user needs', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const block = (marker: string) => JSON.parse(/```json\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf(`<!-- security:${marker} -->`)))?.[1] ?? 'null');
    const account = '111122223333';
    const owner = { account, partition: 'aws' };
    expect(block('capture-statement')).toEqual(grantStatement(requiredGrants('my-capture-bucket', { captureSink: true, concatenationSink: false }, 'aws'), owner));
    expect(block('concatenation-statement')).toEqual(grantStatement(requiredGrants('my-recordings-bucket', { captureSink: false, concatenationSink: true }, 'aws'), owner));
  });

  it('encrypts with SSE-S3, or with a retained, rotated customer managed key media pipelines may use under the same conditions', () => {
    const sseS3 = modes().createBuckets;
    const kms = modes()['createBuckets, SSE-KMS'];
    expect(resourcesOf(sseS3, 'AWS::KMS::Key')).toEqual([]);
    for (const id of ['CaptureBucket', 'ConcatenationBucket']) {
      expect(sseS3.Resources[id]!.Properties.BucketEncryption).toEqual({ ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] });
      expect(kms.Resources[id]!.Properties.BucketEncryption).toEqual({
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': ['RecordingsKey', 'Arn'] } } }],
      });
    }
    const key = kms.Resources.RecordingsKey!;
    expect([key.DeletionPolicy, key.UpdateReplacePolicy, key.Properties.EnableKeyRotation]).toEqual(['Retain', 'Retain', true]);
    const [root, service, ...others] = key.Properties.KeyPolicy.Statement as Statement[];
    expect(others).toEqual([]);
    expect(isAccountRoot(root!.Principal)).toBe(true);
    expect(root!.Condition).toBeUndefined();
    const expected = grantStatement(requiredGrants('capture-bucket', { captureSink: true, concatenationSink: false }, 'aws'), OWNER);
    expect(materialize(service, NAMES)).toEqual({
      Sid: 'AWSChimeMediaPipelinesUseTheKey',
      Effect: 'Allow',
      Principal: expected.Principal,
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: '*',
      Condition: expected.Condition,
    });
  });

  it('expires raw capture chunks, and only them, after rawChunkExpirationDays', () => {
    const t = modes().createBuckets;
    const plan = buildPlan({ meeting: {} }, 'execution-id', 'rec-1', { captureBucket: 'c', region: 'us-east-1', partition: 'aws' });
    const rawRoot = `${plan.capture.prefix.split('/')[0]}/`;
    expect(plan.concatenation.prefix.startsWith(rawRoot)).toBe(false);
    const expiring = (id: string) => (t.Resources[id]!.Properties.LifecycleConfiguration.Rules as Array<Record<string, any>>).filter((r) => r.ExpirationInDays !== undefined || r.ExpirationDate !== undefined);
    expect(expiring('CaptureBucket')).toEqual([{ Id: 'ExpireRawCaptureChunks', Status: 'Enabled', Prefix: rawRoot, ExpirationInDays: { Ref: 'RawChunkExpirationDays' } }]);
    expect(expiring('ConcatenationBucket')).toEqual([]);
    expect(created.template.Parameters?.RawChunkExpirationDays).toMatchObject({ Type: 'Number', Default: 30, MinValue: 1 });
  });
});

describe('alarms and dashboard', () => {
  const alarms = (t: Template) => Object.fromEntries(resourcesOf(t, 'AWS::CloudWatch::Alarm'));
  const machineDimension = [{ Name: 'StateMachineArn', Value: { Ref: 'RecordingStateMachine' } }];
  const stackDimension = [{ Name: 'Stack', Value: 'chime-recording-ci' }];

  it('alarms on failed, timed-out and aborted executions, dead-lettered events, reconciler findings and failures, and Chime throttling past the retries', () => {
    const a = alarms(modes().default);
    const metric = (id: string) => ({ ns: a[id]?.Properties.Namespace, name: a[id]?.Properties.MetricName, dims: a[id]?.Properties.Dimensions, stat: a[id]?.Properties.Statistic });
    expect(metric('ExecutionsFailedAlarm')).toEqual({ ns: 'AWS/States', name: 'ExecutionsFailed', dims: machineDimension, stat: 'Sum' });
    expect(metric('ExecutionsTimedOutAlarm')).toEqual({ ns: 'AWS/States', name: 'ExecutionsTimedOut', dims: machineDimension, stat: 'Sum' });
    expect(metric('ExecutionsAbortedAlarm')).toEqual({ ns: 'AWS/States', name: 'ExecutionsAborted', dims: machineDimension, stat: 'Sum' });
    expect(metric('EventsDeadLetterAlarm')).toEqual({ ns: 'AWS/SQS', name: 'ApproximateNumberOfMessagesVisible', dims: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['EventsDeadLetterQueue', 'QueueName'] } }], stat: 'Maximum' });
    expect(metric('ReconcilerErrorsAlarm')).toEqual({ ns: 'AWS/Lambda', name: 'Errors', dims: [{ Name: 'FunctionName', Value: { Ref: 'ReconcilerLambdaFunction' } }], stat: 'Sum' });
    expect(metric('ChimeThrottlingAlarm')).toEqual({ ns: 'ChimeRecording', name: 'ChimeThrottlingExhausted', dims: stackDimension, stat: 'Sum' });
    const findings = a.ReconcilerFindingsAlarm!.Properties.Metrics as Array<{ Id: string; MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: unknown } }; Expression?: string; ReturnData: boolean }>;
    expect(findings.filter((m) => m.MetricStat).map((m) => [m.MetricStat!.Metric.Namespace, m.MetricStat!.Metric.MetricName, m.MetricStat!.Metric.Dimensions])).toEqual([
      ['ChimeRecording', 'ReconcilerRemoved', stackDimension],
      ['ChimeRecording', 'ReconcilerNotRemoved', stackDimension],
    ]);
    expect(findings.filter((m) => m.ReturnData).map((m) => m.Expression)).toEqual(['FILL(removed, 0) + FILL(refused, 0)']);
    // One occurrence is enough, and no data is not an alarm.
    for (const [id, alarm] of Object.entries(a)) {
      expect({ id, threshold: alarm.Properties.Threshold <= (id === 'ReconcilerErrorsAlarm' ? 3 : 1), op: alarm.Properties.ComparisonOperator, missing: alarm.Properties.TreatMissingData }).toEqual({
        id,
        threshold: true,
        op: 'GreaterThanOrEqualToThreshold',
        missing: 'notBreaching',
      });
    }
    expect(Object.keys(a).sort()).toEqual(['ChimeThrottlingAlarm', 'EventsDeadLetterAlarm', 'ExecutionsAbortedAlarm', 'ExecutionsFailedAlarm', 'ExecutionsTimedOutAlarm', 'ReconcilerErrorsAlarm', 'ReconcilerFindingsAlarm']);
  });

  it('sends every alarm to the topic it creates, or to the one given as alarmTopicArn (then creating none)', () => {
    for (const t of Object.values(modes())) {
      expect(resourcesOf(t, 'AWS::SNS::Topic').map(([id]) => id)).toEqual(['AlarmTopic']);
      for (const [id, alarm] of Object.entries(alarms(t))) expect({ id, actions: alarm.Properties.AlarmActions }).toEqual({ id, actions: [{ Ref: 'AlarmTopic' }] });
    }
    const given = effectiveTemplate(ownTopic.template);
    expect(resourcesOf(given, 'AWS::SNS::Topic')).toEqual([]);
    expect(ownTopic.template.Parameters?.AlarmTopicArn?.Default).toBe(GIVEN_TOPIC);
    for (const [id, alarm] of Object.entries(alarms(given))) expect({ id, actions: alarm.Properties.AlarmActions }).toEqual({ id, actions: [{ Ref: 'AlarmTopicArn' }] });
    expect((ownTopic.template.Outputs?.AlarmTopicArn as { Value?: unknown } | undefined)?.Value).toEqual({ 'Fn::If': ['CreatingAlarmTopic', { Ref: 'AlarmTopic' }, { Ref: 'AlarmTopicArn' }] });
  });

  it('has a dashboard of recordings started, succeeded, failed by error name, in progress, time to capture and meeting end to files', () => {
    const [[, dashboard]] = resourcesOf(modes().default, 'AWS::CloudWatch::Dashboard') as [[string, CfnResource]];
    const [body, vars] = dashboard.Properties.DashboardBody['Fn::Sub'] as [string, Record<string, unknown>];
    expect(vars).toEqual({ Machine: { Ref: 'RecordingStateMachine' }, Stack: 'chime-recording-ci', Queue: { 'Fn::GetAtt': ['EventsDeadLetterQueue', 'QueueName'] } });
    // Valid JSON once CloudFormation substitutes the variables.
    const parsed = JSON.parse(body.replace(/\$\{[^}]+\}/g, 'x')) as { widgets: Array<{ properties: { metrics: unknown[][] } }> };
    const names = parsed.widgets.flatMap((w) => w.properties.metrics.map((m) => (typeof m[1] === 'string' ? m[1] : (m[0] as { expression: string }).expression)));
    for (const wanted of ['ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionsFailed', 'RecordingsInProgress', 'TimeToCapture', 'MeetingEndToFiles', 'ReconcilerRemoved', 'ChimeThrottlingExhausted', 'ApproximateNumberOfMessagesVisible']) {
      expect(names).toContain(wanted);
    }
    expect(names.some((n) => n.includes('RecordingsFailed') && n.includes('ErrorName'))).toBe(true);
  });
});

describe('logs and traces', () => {
  it('logs state machine errors without execution data to a vended log group, and traces', () => {
    for (const t of Object.values(modes())) {
      const [[, machine]] = resourcesOf(t, 'AWS::StepFunctions::StateMachine') as [[string, CfnResource]];
      expect(machine.Properties.TracingConfiguration).toEqual({ Enabled: true });
      const logging = machine.Properties.LoggingConfiguration;
      expect(logging).toMatchObject({ Level: 'ERROR', IncludeExecutionData: false });
      const [destination] = logging.Destinations;
      const group = t.Resources[destination.CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0]]!;
      expect(group.Type).toBe('AWS::Logs::LogGroup');
      expect(group.Properties.LogGroupName).toMatch(/^\/aws\/vendedlogs\/states\//);
    }
  });

  it('traces every function, logs at INFO, and keeps every log group for a limited time', () => {
    for (const t of Object.values(modes())) {
      for (const [, fn] of resourcesOf(t, 'AWS::Lambda::Function')) {
        expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
        expect(fn.Properties.Environment.Variables.POWERTOOLS_LOG_LEVEL).toBe('INFO');
      }
      for (const [id, group] of resourcesOf(t, 'AWS::Logs::LogGroup')) expect({ id, days: group.Properties.RetentionInDays > 0 }).toEqual({ id, days: true });
    }
  });
});

describe('the checks themselves', () => {
  const template = (resources: Record<string, CfnResource>): Template => ({ Resources: resources });
  const role = (statements: Statement[]): CfnResource => ({ Type: 'AWS::IAM::Role', Properties: { Policies: [{ PolicyDocument: { Statement: statements } }] } });

  it('name a function that has no row, and roles with too much or too little', () => {
    const t = template({
      LiveLambdaFunction: { Type: 'AWS::Lambda::Function', Properties: { Role: { 'Fn::GetAtt': ['LiveRole', 'Arn'] } } },
      LiveRole: role([]),
      CleanupLambdaFunction: { Type: 'AWS::Lambda::Function', Properties: { Role: { 'Fn::GetAtt': ['CleanupRole', 'Arn'] } } },
      CleanupRole: role([{ Effect: 'Allow', Action: [...BASE_ACTIONS, 's3:PutObject'], Resource: '*' }]),
    });
    const problems = functionRoleProblems(t).join('\n');
    expect(problems).toContain('function "live" (LiveLambdaFunction) has no row in EXPECTED_ACTIONS');
    expect(problems).toContain('function "cleanup": role CleanupRole grants unexpected [s3:PutObject] and lacks');
  });

  it('catch wildcard actions, unscoped resources and unauthenticated API methods', () => {
    const t = template({
      R: role([
        { Effect: 'Allow', Action: ['s3:*'], Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::*' } },
        { Effect: 'Allow', Action: ['chime:GetMeeting'], Resource: '*' },
      ]),
      M: { Type: 'AWS::ApiGateway::Method', Properties: { HttpMethod: 'OPTIONS', AuthorizationType: 'NONE' } },
    });
    expect(wildcardActionProblems(t)).toEqual(['R: Allow grants the wildcard action s3:*']);
    expect(resourceScopeProblems(t)).toHaveLength(2);
    expect(apiProblems(t)).toHaveLength(2);
  });
});
