import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChimeSDKMeetingsClient, CreateMeetingCommand } from '@aws-sdk/client-chime-sdk-meetings';
import { ChimeSDKMediaPipelinesClient, CreateMediaCapturePipelineCommand } from '@aws-sdk/client-chime-sdk-media-pipelines';
import { main } from '../../scripts/role';
import { LocalCloud } from '../../local/cloud';

/** `npm run role -- ...` against the local cloud's IAM, through the SDK's standard endpoint variables. */
let cloud: LocalCloud;
let dataDir: string;
const saved = { ...process.env };

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'role-'));
  cloud = await LocalCloud.start({ port: 0, scale: 1000, dataDir });
  Object.assign(process.env, { AWS_ENDPOINT_URL: cloud.endpoint, AWS_ACCESS_KEY_ID: 'AKIDROLE', AWS_SECRET_ACCESS_KEY: 'role', AWS_REGION: 'us-east-1', AWS_MAX_ATTEMPTS: '1' });
});
afterAll(async () => {
  process.env = saved;
  await cloud.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function role(...args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await main(args, (l) => lines.push(l));
  return { code, out: lines.join('\n') };
}

describe('npm run role', () => {
  it('shows, creates, describes and deletes the service-linked role; deletion fails while a pipeline uses it', async () => {
    expect(await role('status')).toMatchObject({ code: 1, out: expect.stringContaining('does not exist') });
    expect(await role('ensure')).toMatchObject({ code: 0, out: expect.stringMatching(/^Created arn:aws:iam::\d{12}:role\/aws-service-role\/mediapipelines\.chime\.amazonaws\.com\/AWSServiceRoleForAmazonChimeSDKMediaPipelines$/) });
    expect(await role('ensure')).toMatchObject({ code: 0, out: expect.stringContaining('Already present') });
    expect(await role('set-description', 'Records', 'our', 'meetings')).toMatchObject({ code: 0, out: expect.stringContaining('Records our meetings') });
    expect((await role('status')).out).toContain('description: Records our meetings');

    // A running capture pipeline still uses the role.
    await cloud.createBucket('role-bucket', { captureSink: true, concatenationSink: false });
    const config = cloud.clientConfig();
    const meetings = new ChimeSDKMeetingsClient(config);
    const pipelines = new ChimeSDKMediaPipelinesClient(config);
    const { Meeting } = await meetings.send(new CreateMeetingCommand({ ClientRequestToken: 'role-test', MediaRegion: 'us-east-1', ExternalMeetingId: 'role-test' }));
    await pipelines.send(new CreateMediaCapturePipelineCommand({ SourceType: 'ChimeSdkMeeting', SourceArn: `arn:aws:chime::${cloud.ctx.account}:meeting:${Meeting!.MeetingId}`, SinkType: 'S3Bucket', SinkArn: 'arn:aws:s3:::role-bucket' }));
    const failed = await role('delete', '--poll-ms', '5');
    expect(failed.code).toBe(1);
    expect(failed.out).toMatch(/Deletion FAILED[\s\S]*Still in use by:[\s\S]*us-east-1: arn:aws:chime:/);

    cloud.meetings.end(Meeting!.MeetingId!);
    meetings.destroy();
    pipelines.destroy();
    expect(await role('delete', '--poll-ms', '5')).toMatchObject({ code: 0, out: expect.stringContaining('Deleted AWSServiceRoleForAmazonChimeSDKMediaPipelines') });
    expect((await role('status')).code).toBe(1);
  });

  it('explains its usage and rejects bad arguments', async () => {
    expect((await role()).code).toBe(2);
    expect(await role('rename')).toMatchObject({ code: 2, out: expect.stringContaining('unknown command "rename"') });
    expect(await role('set-description')).toMatchObject({ code: 2, out: expect.stringContaining('needs the new description') });
  });
});
