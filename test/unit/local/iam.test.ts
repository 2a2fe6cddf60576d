import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import {
  CreateServiceLinkedRoleCommand,
  DeleteServiceLinkedRoleCommand,
  GetRoleCommand,
  GetServiceLinkedRoleDeletionStatusCommand,
  IAMClient,
  ListRolesCommand,
  UpdateRoleDescriptionCommand,
  type GetServiceLinkedRoleDeletionStatusCommandOutput,
} from '@aws-sdk/client-iam';
import { EventBus } from '../../../local/core/bus';
import { resolveBehaviours } from '../../../local/core/behaviours';
import { SimClock } from '../../../local/core/clock';
import type { CloudContext } from '../../../local/core/context';
import { Router, listen } from '../../../local/core/server';
import { IamService } from '../../../local/services/iam';

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const SERVICE = 'mediapipelines.chime.amazonaws.com';
const ROLE = 'AWSServiceRoleForAmazonChimeSDKMediaPipelines';
// Four simulated ms per real ms: a deletion (2 simulated s) takes half a real second, long enough to see each status.

interface Cloud {
  iam: IamService;
  router: Router;
  server: http.Server;
  client: IAMClient;
}

const running: Cloud[] = [];

async function startCloud(ctx: CloudContext): Promise<Cloud> {
  const iam = new IamService(ctx);
  const router = new Router(REGION, ctx.clock);
  router.register(iam);
  const { server, port } = await listen(router, 0, REGION);
  const client = new IAMClient({ endpoint: `http://127.0.0.1:${port}`, region: REGION, credentials: { accessKeyId: 'AKID', secretAccessKey: 'x' }, maxAttempts: 1 });
  const cloud = { iam, router, server, client };
  running.push(cloud);
  return cloud;
}

/**
 * The SDK names modeled IAM errors after their shapes (`NoSuchEntityException`) and keeps the wire code
 * (`NoSuchEntity`) in `Code`; both are checked.
 */
async function failure(promise: Promise<unknown>): Promise<{ name: string; code: string | undefined; status: number | undefined; message: string }> {
  try {
    await promise;
  } catch (err) {
    if (!(err instanceof Error)) throw err;
    const { $metadata, Code } = err as Error & { $metadata?: { httpStatusCode?: number }; Code?: string };
    return { name: err.name, code: Code, status: $metadata?.httpStatusCode, message: err.message };
  }
  throw new Error('expected the call to fail');
}

/** Moves simulated time on until the deletion task reports `status`. */
async function waitForStatus(clock: SimClock, client: IAMClient, taskId: string, status: string): Promise<GetServiceLinkedRoleDeletionStatusCommandOutput> {
  let out: GetServiceLinkedRoleDeletionStatusCommandOutput | undefined;
  await clock.until(async () => {
    out = await client.send(new GetServiceLinkedRoleDeletionStatusCommand({ DeletionTaskId: taskId }));
    return out.Status === status;
  }, `deletion task ${taskId} reaching ${status}`);
  return out!;
}

describe('IAM emulator', () => {
  let dataDir: string;
  let ctx: CloudContext;
  let cloud: Cloud;
  let iam: IAMClient;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-iam-'));
    const clock = new SimClock('virtual', Date.UTC(2026, 0, 1));
    ctx = { clock, bus: new EventBus(clock, ACCOUNT, REGION), account: ACCOUNT, region: REGION, dataDir, behaviours: resolveBehaviours() };
    cloud = await startCloud(ctx);
    iam = cloud.client;
  });

  afterAll(async () => {
    for (const c of running) {
      c.client.destroy();
      await new Promise<void>((resolve) => {
        c.server.close(() => resolve());
        c.server.closeAllConnections();
      });
      await c.router.close();
    }
    ctx.clock.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers GetRole for a missing role with NoSuchEntity', async () => {
    expect(await failure(iam.send(new GetRoleCommand({ RoleName: ROLE })))).toEqual({ name: 'NoSuchEntityException', code: 'NoSuchEntity', status: 404, message: `The role with name ${ROLE} cannot be found.` });
    expect(cloud.iam.roleExists(ROLE)).toBe(false);
    expect(cloud.iam.roleCreatedAt(ROLE)).toBeUndefined();
  });

  it('answers AccessDenied instead under the iam-get-missing-role behaviour, and the role once it exists', async () => {
    const behaviours = resolveBehaviours({ 'iam-get-missing-role': 'access-denied' });
    const other = await startCloud({ ...ctx, dataDir: fs.mkdtempSync(path.join(dataDir, 'denied-')), behaviours });
    expect(await failure(other.client.send(new GetRoleCommand({ RoleName: ROLE })))).toMatchObject({ name: 'AccessDenied', status: 403, message: expect.stringContaining(`not authorized to perform: iam:GetRole on resource: role ${ROLE}`) });
    await other.client.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: SERVICE }));
    expect((await other.client.send(new GetRoleCommand({ RoleName: ROLE }))).Role?.RoleName).toBe(ROLE);
  });

  it('creates the media pipelines service-linked role as AWS does', async () => {
    const before = ctx.clock.now();
    const { Role: role } = await iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: SERVICE, Description: 'records meetings' }));
    // As AWS's create-service-linked-role example shows it: no Description or MaxSessionDuration (GetRole has them).
    expect(role).toMatchObject({
      Path: `/aws-service-role/${SERVICE}/`,
      RoleName: ROLE,
      Arn: `arn:aws:iam::${ACCOUNT}:role/aws-service-role/${SERVICE}/${ROLE}`,
    });
    expect(role?.Description).toBeUndefined();
    expect(role?.MaxSessionDuration).toBeUndefined();
    expect(role?.RoleId).toMatch(/^AROA[A-Z0-9]{17}$/);
    expect(JSON.parse(decodeURIComponent(role?.AssumeRolePolicyDocument ?? ''))).toEqual({
      Version: '2012-10-17',
      Statement: [{ Action: ['sts:AssumeRole'], Effect: 'Allow', Principal: { Service: [SERVICE] } }],
    });

    // CreateDate is simulated time (second precision on the wire), and so is roleCreatedAt.
    const createdAt = cloud.iam.roleCreatedAt(ROLE) ?? 0;
    expect(createdAt).toBeGreaterThanOrEqual(before);
    expect(createdAt).toBeLessThanOrEqual(ctx.clock.now());
    expect(role?.CreateDate?.getTime()).toBe(Math.floor(createdAt / 1000) * 1000);
    expect(cloud.iam.roleExists(ROLE)).toBe(true);

    // Not used by the service yet: RoleLastUsed is empty.
    const got = await iam.send(new GetRoleCommand({ RoleName: ROLE }));
    expect(got.Role).toEqual({ ...role, Description: 'records meetings', MaxSessionDuration: 3600, RoleLastUsed: {} });
  });

  it('refuses to create the role twice with the "has been taken" InvalidInput', async () => {
    expect(await failure(iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: SERVICE })))).toEqual({
      name: 'InvalidInputException',
      code: 'InvalidInput',
      status: 400,
      message: `Service role name ${ROLE} has been taken in this account, please try a different suffix.`,
    });
  });

  it('updates the description and returns the role', async () => {
    const { Role: role } = await iam.send(new UpdateRoleDescriptionCommand({ RoleName: ROLE, Description: 'records Chime meetings' }));
    expect([role?.RoleName, role?.Description]).toEqual([ROLE, 'records Chime meetings']);
    expect((await iam.send(new GetRoleCommand({ RoleName: ROLE }))).Role?.Description).toBe('records Chime meetings');
    expect(await failure(iam.send(new UpdateRoleDescriptionCommand({ RoleName: 'Nobody', Description: 'x' })))).toMatchObject({ name: 'NoSuchEntityException', code: 'NoSuchEntity', status: 404 });
  });

  it('creates service-linked roles for other services generically, with an optional suffix', async () => {
    const { Role: plain } = await iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: 'autoscaling.amazonaws.com' }));
    expect([plain?.RoleName, plain?.Path]).toEqual(['AWSServiceRoleForAutoscaling', '/aws-service-role/autoscaling.amazonaws.com/']);
    const { Role: suffixed } = await iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: 'autoscaling.amazonaws.com', CustomSuffix: 'debug' }));
    expect(suffixed?.RoleName).toBe('AWSServiceRoleForAutoscaling_debug');
    expect(await failure(iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: 'not a service' })))).toMatchObject({ name: 'InvalidInputException', code: 'InvalidInput', status: 400 });
  });

  it('lists roles by path prefix, page by page', async () => {
    const all = await iam.send(new ListRolesCommand({}));
    expect(all.Roles?.map((r) => r.RoleName)).toEqual([ROLE, 'AWSServiceRoleForAutoscaling', 'AWSServiceRoleForAutoscaling_debug']);
    expect(all.IsTruncated).toBe(false);

    const chime = await iam.send(new ListRolesCommand({ PathPrefix: `/aws-service-role/${SERVICE}/` }));
    expect(chime.Roles?.map((r) => r.RoleName)).toEqual([ROLE]);

    const first = await iam.send(new ListRolesCommand({ MaxItems: 2 }));
    expect([first.Roles?.length, first.IsTruncated]).toEqual([2, true]);
    const second = await iam.send(new ListRolesCommand({ MaxItems: 2, Marker: first.Marker }));
    expect([second.Roles?.map((r) => r.RoleName), second.IsTruncated]).toEqual([['AWSServiceRoleForAutoscaling_debug'], false]);
  });

  it('fails the deletion, keeping the role, while media pipelines still use it', async () => {
    const pipelineArn = `arn:aws:chime:${REGION}:${ACCOUNT}:media-pipeline/0b6a2f3e-0000-4000-8000-000000000001`;
    let inUse = true;
    cloud.iam.setRoleUsage(ROLE, () => (inUse ? [{ Region: REGION, Resources: [pipelineArn] }] : []));

    const { DeletionTaskId: taskId = '' } = await iam.send(new DeleteServiceLinkedRoleCommand({ RoleName: ROLE }));
    expect(taskId).toMatch(new RegExp(`^task/aws-service-role/${SERVICE.replace(/\./g, '\\.')}/${ROLE}/[0-9a-f-]{36}$`));
    expect((await iam.send(new GetServiceLinkedRoleDeletionStatusCommand({ DeletionTaskId: taskId }))).Status).toBe('NOT_STARTED');
    // While a deletion runs, asking again returns the same task, and other emulators see the role as going.
    expect((await iam.send(new DeleteServiceLinkedRoleCommand({ RoleName: ROLE }))).DeletionTaskId).toBe(taskId);
    expect(cloud.iam.roleExists(ROLE)).toBe(false);

    await waitForStatus(ctx.clock, iam, taskId, 'IN_PROGRESS');
    const failed = await waitForStatus(ctx.clock, iam, taskId, 'FAILED');
    expect(failed.Reason?.Reason).toMatch(/still used/);
    expect(failed.Reason?.RoleUsageList).toEqual([{ Region: REGION, Resources: [pipelineArn] }]);
    expect(cloud.iam.roleExists(ROLE)).toBe(true);
    expect((await iam.send(new GetRoleCommand({ RoleName: ROLE }))).Role?.RoleName).toBe(ROLE);

    inUse = false;
  });

  it('deletes the role once nothing uses it', async () => {
    const { DeletionTaskId: taskId = '' } = await iam.send(new DeleteServiceLinkedRoleCommand({ RoleName: ROLE }));
    const done = await waitForStatus(ctx.clock, iam, taskId, 'SUCCEEDED');
    expect(done.Reason).toBeUndefined();
    expect(await failure(iam.send(new GetRoleCommand({ RoleName: ROLE })))).toMatchObject({ name: 'NoSuchEntityException', code: 'NoSuchEntity', status: 404 });
    expect(cloud.iam.roleExists(ROLE)).toBe(false);
    expect(await failure(iam.send(new DeleteServiceLinkedRoleCommand({ RoleName: ROLE })))).toMatchObject({ name: 'NoSuchEntityException', code: 'NoSuchEntity', status: 404 });

    // The role can be created again afterwards, with a fresh id.
    const { Role: again } = await iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: SERVICE }));
    expect(again?.RoleName).toBe(ROLE);
    expect(again?.Description).toBeUndefined();
  });

  it('reports unknown and malformed deletion task ids', async () => {
    expect(await failure(iam.send(new GetServiceLinkedRoleDeletionStatusCommand({ DeletionTaskId: `task/aws-service-role/${SERVICE}/${ROLE}/unknown` })))).toMatchObject({
      name: 'NoSuchEntityException',
      code: 'NoSuchEntity',
      status: 404,
    });
    expect(await failure(iam.send(new GetServiceLinkedRoleDeletionStatusCommand({ DeletionTaskId: 'garbage' })))).toMatchObject({ name: 'InvalidInputException', code: 'InvalidInput', status: 400 });
  });

  it('renders errors in the IAM query shape', async () => {
    const res = await fetch(`http://127.0.0.1:${(cloud.server.address() as { port: number }).port}/`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
        authorization: `AWS4-HMAC-SHA256 Credential=AKID/20260101/${REGION}/iam/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: 'Action=GetRole&Version=2010-05-08',
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(
      /^<ErrorResponse xmlns="https:\/\/iam\.amazonaws\.com\/doc\/2010-05-08\/"><Error><Type>Sender<\/Type><Code>ValidationError<\/Code><Message>[^<]*roleName[^<]*<\/Message><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/,
    );
  });

  it('keeps roles and deletion tasks across a restart on the same data directory', async () => {
    const createdAt = cloud.iam.roleCreatedAt(ROLE);
    const before = (await iam.send(new GetRoleCommand({ RoleName: ROLE }))).Role;
    expect(JSON.parse(fs.readFileSync(path.join(dataDir, 'iam.json'), 'utf8')).roles).toHaveLength(3);

    const restarted = await startCloud(ctx);
    expect(restarted.iam.roleExists(ROLE)).toBe(true);
    expect(restarted.iam.roleCreatedAt(ROLE)).toBe(createdAt);
    expect((await restarted.client.send(new GetRoleCommand({ RoleName: ROLE }))).Role).toEqual(before);
    expect((await restarted.client.send(new ListRolesCommand({}))).Roles).toHaveLength(3);
  });
});
