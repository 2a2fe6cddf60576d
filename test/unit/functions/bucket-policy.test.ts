import { evaluatePolicy, policyToApply, requiredGrants, wildcardMatch } from '../../../functions/lib/bucket-policy';

const account = '123456789012';
const owner = { account, partition: 'aws' };
const grants = requiredGrants('b', { captureSink: true, concatenationSink: false }, 'aws');

describe('bucket policy evaluation', () => {
  it('lists what a capture bucket needs (write, and read-back for concatenation)', () => {
    expect(grants.map((g) => `${g.action} ${g.resource}`)).toEqual([
      's3:PutObject arn:aws:s3:::b/*',
      's3:PutObjectAcl arn:aws:s3:::b/*',
      's3:GetObject arn:aws:s3:::b/*',
      's3:ListBucket arn:aws:s3:::b',
    ]);
    expect(requiredGrants('c', { captureSink: false, concatenationSink: true }, 'aws').map((g) => g.action)).toEqual(['s3:PutObject', 's3:PutObjectAcl']);
  });

  it('accepts the policy it proposes, and finds everything missing without one', () => {
    const apply = JSON.stringify(policyToApply(undefined, grants, owner));
    expect(evaluatePolicy(apply, grants, owner)).toEqual({ missing: [], unconditioned: [] });
    expect(evaluatePolicy(undefined, grants, owner).missing).toHaveLength(4);
  });

  it('honours wildcards, Deny, other accounts and missing conditions', () => {
    const allowAll = { Effect: 'Allow', Principal: { Service: 'mediapipelines.chime.amazonaws.com' }, Action: 's3:*', Resource: ['arn:aws:s3:::b', 'arn:aws:s3:::b/*'] };
    expect(evaluatePolicy(JSON.stringify({ Statement: [allowAll] }), grants, owner)).toEqual({ missing: [], unconditioned: grants });
    const deny = { Effect: 'Deny', Principal: '*', Action: 's3:PutObjectAcl', Resource: 'arn:aws:s3:::b/*' };
    expect(evaluatePolicy(JSON.stringify({ Statement: [allowAll, deny] }), grants, owner).missing.map((g) => g.action)).toEqual(['s3:PutObjectAcl']);
    const otherAccount = { ...allowAll, Condition: { StringEquals: { 'aws:SourceAccount': '999999999999' } } };
    expect(evaluatePolicy(JSON.stringify({ Statement: [otherAccount] }), grants, owner).missing).toHaveLength(4);
  });

  it('accepts a bucket whose policy also denies requests without TLS (the service always uses TLS)', () => {
    const tlsOnly = { Sid: 'TLS', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: ['arn:aws:s3:::b', 'arn:aws:s3:::b/*'], Condition: { Bool: { 'aws:SecureTransport': 'false' } } };
    const apply = policyToApply(JSON.stringify({ Statement: [tlsOnly] }), grants, owner);
    expect(evaluatePolicy(JSON.stringify(apply), grants, owner)).toEqual({ missing: [], unconditioned: [] });
    const booleanForm = { ...tlsOnly, Condition: { Bool: { 'aws:SecureTransport': false } } };
    expect(evaluatePolicy(JSON.stringify({ Statement: [booleanForm, ...apply.Statement.slice(1)] }), grants, owner).missing).toEqual([]);
    const denyOverTls = { ...tlsOnly, Condition: { Bool: { 'aws:SecureTransport': 'true' } } };
    expect(evaluatePolicy(JSON.stringify({ Statement: [denyOverTls, ...apply.Statement.slice(1)] }), grants, owner).missing).toHaveLength(4);
  });

  it('keeps existing statements and replaces an older copy of its own', () => {
    const existing = { Version: '2012-10-17', Statement: [{ Sid: 'TLS', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: 'arn:aws:s3:::b/*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }, { Sid: 'AWSChimeMediaPipelinesAccess', Effect: 'Allow' }] };
    const out = policyToApply(JSON.stringify(existing), grants, owner);
    expect(out.Statement.map((s) => s.Sid)).toEqual(['TLS', 'AWSChimeMediaPipelinesAccess']);
    expect(out.Statement[1]).toMatchObject({ Condition: { StringEquals: { 'aws:SourceAccount': account }, ArnLike: { 'aws:SourceArn': `arn:aws:chime:*:${account}:*` } } });
  });

  it('matches IAM wildcards', () => {
    expect(wildcardMatch('s3:Put*', 's3:PutObjectAcl')).toBe(true);
    expect(wildcardMatch('arn:aws:s3:::b/*', 'arn:aws:s3:::b')).toBe(false);
    expect(wildcardMatch('arn:aws:s3:::b?', 'arn:aws:s3:::bc')).toBe(true);
  });
});
