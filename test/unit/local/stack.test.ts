import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../../local/cloud';
import { stackEnvironment, type LocalStack } from '../../../local/stack';

/** The handlers' environment is derived from serverless.yml, variables and intrinsic functions resolved. */
const resources = {
  RecordingsTable: { ref: 'the-table', arn: 'arn:aws:dynamodb:us-east-1:123456789012:table/the-table' },
  RecordingStateMachine: { ref: 'arn:aws:states:us-east-1:123456789012:stateMachine:m' },
  CaptureBucket: { ref: 'created-capture', arn: 'arn:aws:s3:::created-capture' },
  ConcatenationBucket: { ref: 'created-final', arn: 'arn:aws:s3:::created-final' },
};
const stack = (params: Record<string, string>): LocalStack => ({ root: REPO_ROOT, stage: 'test', region: 'us-east-1', account: '123456789012', params, resources });

describe('the stack environment read from serverless.yml', () => {
  it('resolves Refs, the createBuckets condition, params and each function\'s own variables', () => {
    expect(stackEnvironment(stack({ createBuckets: 'true' }))).toEqual({
      TABLE_NAME: 'the-table',
      ACCOUNT_ID: '123456789012',
      PARTITION: 'aws',
      CAPTURE_BUCKET: 'created-capture',
      CONCATENATION_BUCKET: 'created-final',
      LIVE_STREAM_SECRET_PREFIX: 'chime-recording/',
      // Chime's shared request budget (params chimeRequestRate, chimeRequestBurst).
      CHIME_REQUEST_RATE: '9',
      CHIME_REQUEST_BURST: '20',
      POWERTOOLS_SERVICE_NAME: 'chime-recording',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      MAX_MEETING_END_CHECKS: '26',
      STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:m',
      // A CloudFormation parameter (Ref) whose default is a param.
      DOWNLOAD_LINK_SECONDS: '3600',
      STACK_NAME: 'chime-recording-test',
      RECONCILER_MAX_ITEMS: '500',
      RECONCILER_MAX_CHIME_CALLS: '200',
      RECONCILER_CHIME_CALL_INTERVAL_MS: '250',
    });
    // Without createBuckets the buckets are the params'.
    expect(stackEnvironment(stack({ captureBucket: 'mine', concatenationBucket: 'finals', downloadLinkSeconds: '600' }))).toMatchObject({ CAPTURE_BUCKET: 'mine', CONCATENATION_BUCKET: 'finals', DOWNLOAD_LINK_SECONDS: '600' });
  });

  it('refuses what it cannot resolve, naming where it is', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'stack-'));
    try {
      fs.writeFileSync(path.join(root, 'serverless.yml'), 'service: s\nprovider:\n  environment:\n    X: ${ssm:/secret}\n    Y: { "Fn::ImportValue": other }\n');
      expect(() => stackEnvironment({ ...stack({}), root })).toThrow(/provider\.environment\.X: the local cloud cannot resolve \$\{ssm:\/secret\}/);
      fs.writeFileSync(path.join(root, 'serverless.yml'), 'service: s\nprovider:\n  environment:\n    Y: { "Fn::ImportValue": other }\n');
      expect(() => stackEnvironment({ ...stack({}), root })).toThrow(/provider\.environment\.Y\.Fn::ImportValue: the local cloud cannot resolve Fn::ImportValue/);
      fs.writeFileSync(path.join(root, 'serverless.yml'), 'service: s\nfunctions:\n  a: { environment: { Z: one } }\n  b: { environment: { Z: two } }\n');
      expect(() => stackEnvironment({ ...stack({}), root })).toThrow(/Z is one for a but two for b/);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
