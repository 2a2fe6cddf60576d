import { execFile, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { policyToApply, requiredGrants } from '../../functions/lib/bucket-policy';
import { LocalCloud } from '../../local/cloud';
import { waitFor } from '../fixtures/async';

/**
 * Conformance with a real, independent AWS client: the AWS CLI drives the local cloud over its wire
 * protocols (S3 rest-xml, Chime rest-json, IAM query, Step Functions JSON). Skips where `aws` is missing.
 */
const hasCli = spawnSync('aws', ['--version']).status === 0;
const run = promisify(execFile);
let cloud: LocalCloud;
let dataDir: string;

async function aws(...args: string[]): Promise<any> {
  const { stdout } = await run('aws', ['--endpoint-url', cloud.endpoint, '--output', 'json', ...args], {
    env: { ...process.env, AWS_ACCESS_KEY_ID: 'AKIDCLI', AWS_SECRET_ACCESS_KEY: 'cli', AWS_DEFAULT_REGION: 'us-east-1', AWS_REGION: 'us-east-1', AWS_PAGER: '', AWS_ENDPOINT_URL: '' },
  });
  return stdout.trim() ? JSON.parse(stdout) : {};
}

(hasCli ? describe : describe.skip)('AWS CLI against the local cloud', () => {
  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-'));
    // Time x10: fast enough for a recording, slow enough that a meeting nobody has joined yet (Chime ends it
    // after five idle minutes, 30 s here) outlives a few AWS CLI processes on a busy machine.
    cloud = await LocalCloud.start({ port: 0, scale: 10, dataDir });
  });
  afterAll(async () => {
    await cloud.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("answers sts get-caller-identity, as `npm run cloud` serves it, with the local account; SIGTERM stops it", async () => {
    const server = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', '--import', 'tsx', 'local/cli.ts', '--port', '0', '--data-dir', path.join(dataDir, 'server')], { cwd: path.resolve(__dirname, '../..') });
    try {
      let out = '';
      server.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await waitFor('npm run cloud to print ready', () => /ready (http:\/\/\S+)/.test(out), 60_000);
      const endpoint = /ready (http:\/\/\S+)/.exec(out)![1]!;
      const { stdout } = await run('aws', ['--endpoint-url', endpoint, '--output', 'json', 'sts', 'get-caller-identity'], {
        env: { ...process.env, AWS_ACCESS_KEY_ID: 'AKIDCLI', AWS_SECRET_ACCESS_KEY: 'cli', AWS_DEFAULT_REGION: 'us-east-1', AWS_PAGER: '', AWS_ENDPOINT_URL: '' },
      });
      expect(JSON.parse(stdout)).toEqual({ UserId: cloud.ctx.account, Account: cloud.ctx.account, Arn: `arn:aws:iam::${cloud.ctx.account}:root` });
      const exited = new Promise<number | null>((resolve) => server.on('exit', resolve));
      server.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      server.kill('SIGKILL');
    }
  });

  it('creates a bucket and policy, a meeting and a capture pipeline; deleting the meeting stops the pipeline', async () => {
    await aws('s3api', 'create-bucket', '--bucket', 'cli-capture');
    const policy = policyToApply(undefined, requiredGrants('cli-capture', { captureSink: true, concatenationSink: false }, 'aws'), { account: cloud.ctx.account, partition: 'aws' });
    await aws('s3api', 'put-bucket-policy', '--bucket', 'cli-capture', '--policy', JSON.stringify(policy));
    expect(JSON.parse((await aws('s3api', 'get-bucket-policy', '--bucket', 'cli-capture')).Policy)).toEqual(policy);

    await aws('iam', 'create-service-linked-role', '--aws-service-name', 'mediapipelines.chime.amazonaws.com');
    const { Meeting } = await aws('chime-sdk-meetings', 'create-meeting', '--client-request-token', 'cli-token-1', '--media-region', 'us-east-1', '--external-meeting-id', 'cli-meeting');
    expect(Meeting.MeetingArn).toBe(`arn:aws:chime:us-east-1:${cloud.ctx.account}:meeting/${Meeting.MeetingId}`);

    const { MediaCapturePipeline } = await aws(
      'chime-sdk-media-pipelines', 'create-media-capture-pipeline',
      '--source-type', 'ChimeSdkMeeting', '--source-arn', `arn:aws:chime::${cloud.ctx.account}:meeting:${Meeting.MeetingId}`,
      '--sink-type', 'S3Bucket', '--sink-arn', 'arn:aws:s3:::cli-capture/raw',
    );
    const id = MediaCapturePipeline.MediaPipelineId;
    await waitFor('capture in progress', async () => (await aws('chime-sdk-media-pipelines', 'get-media-pipeline', '--media-pipeline-id', id)).MediaPipeline.MediaCapturePipeline.Status === 'InProgress');
    const attendees = await aws('chime-sdk-meetings', 'list-attendees', '--meeting-id', Meeting.MeetingId);
    expect(attendees.Attendees.map((a: { ExternalUserId: string }) => a.ExternalUserId)).toEqual([`aws:MediaPipeline-${id}`]);

    await aws('chime-sdk-meetings', 'delete-meeting', '--meeting-id', Meeting.MeetingId);
    const after = await aws('chime-sdk-media-pipelines', 'get-media-pipeline', '--media-pipeline-id', id);
    expect(after.MediaPipeline.MediaCapturePipeline.Status).toBe('Stopped');
    const listed = await aws('s3api', 'list-objects-v2', '--bucket', 'cli-capture', '--prefix', 'raw/');
    expect(listed.Contents.some((o: { Key: string }) => o.Key.startsWith('raw/audio/'))).toBe(true);
    await expect(aws('chime-sdk-meetings', 'get-meeting', '--meeting-id', Meeting.MeetingId)).rejects.toThrow(/NotFoundException/);
  });

  it('runs a recording through the Step Functions API', async () => {
    const deployment = await cloud.deploy({ captureBucket: 'cli-recordings' });
    const started = await aws('stepfunctions', 'start-execution', '--state-machine-arn', deployment.stateMachineArn, '--name', 'cli-run', '--input', '{"meeting":{"mediaRegion":"us-east-1"}}');
    const execution = cloud.stepFunctions.execution(started.executionArn);
    await waitFor('AwaitMeetingEnd', () => execution.history.some((h) => h.type === 'TaskScheduled'));
    const meetingId = cloud.meetings.activeMeetings()[0]!.meetingId;
    await aws('chime-sdk-meetings', 'delete-meeting', '--meeting-id', meetingId);
    await execution.done;
    const described = await aws('stepfunctions', 'describe-execution', '--execution-arn', started.executionArn);
    expect(described.status).toBe('SUCCEEDED');
    const history = await aws('stepfunctions', 'get-execution-history', '--execution-arn', started.executionArn);
    expect(history.events.at(-1).type).toBe('ExecutionSucceeded');
  });
});
