import type http from 'node:http';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { EventBus } from '../../../local/core/bus';
import { resolveBehaviours } from '../../../local/core/behaviours';
import { SimClock } from '../../../local/core/clock';
import type { CloudContext } from '../../../local/core/context';
import { Router, listen } from '../../../local/core/server';
import { SecretsManagerService } from '../../../local/services/secretsmanager';
import { closeServer, failure } from '../../fixtures/async';

const ACCOUNT = '123456789012';
const URL = 'rtmps://live.example.com/app/sk_live_SECRETKEY123';
const DAY_MS = 24 * 60 * 60_000;

let clock: SimClock;
let router: Router;
let server: http.Server;
let sm: SecretsManagerClient;
let west: SecretsManagerClient;
const output: string[] = [];

beforeAll(async () => {
  clock = new SimClock('virtual');
  const ctx: CloudContext = { clock, bus: new EventBus(clock, ACCOUNT, 'us-east-1'), account: ACCOUNT, region: 'us-east-1', dataDir: '', behaviours: resolveBehaviours() };
  router = new Router('us-east-1', clock);
  router.register(new SecretsManagerService(ctx));
  const started = await listen(router, 0, 'us-east-1');
  server = started.server;
  const config = { endpoint: `http://127.0.0.1:${started.port}`, credentials: { accessKeyId: 'AKID', secretAccessKey: 'x' }, maxAttempts: 1 };
  sm = new SecretsManagerClient({ ...config, region: 'us-east-1' });
  west = new SecretsManagerClient({ ...config, region: 'eu-west-1' });
  // Nothing the emulator writes may carry a secret value.
  for (const stream of [process.stdout, process.stderr]) {
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      output.push(String(chunk));
      return true;
    });
  }
});

afterAll(async () => {
  jest.restoreAllMocks();
  sm.destroy();
  west.destroy();
  await closeServer(server);
  await router.close();
  clock.stop();
  expect(output.join('')).not.toContain('sk_live_');
});

describe('Secrets Manager emulator', () => {
  it('creates a secret with the ARN suffix AWS adds and reads it back by ARN, partial ARN and name', async () => {
    const created = await sm.send(new CreateSecretCommand({ Name: 'chime-recording/youtube', SecretString: URL }));
    expect(created.ARN).toMatch(new RegExp(`^arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:chime-recording/youtube-[A-Za-z0-9]{6}$`));
    expect(created).toMatchObject({ Name: 'chime-recording/youtube', VersionId: expect.stringMatching(/^[-0-9a-f]{36}$/) });
    for (const id of [created.ARN!, created.ARN!.slice(0, -7), 'chime-recording/youtube']) {
      const got = await sm.send(new GetSecretValueCommand({ SecretId: id }));
      expect(got).toMatchObject({ ARN: created.ARN, Name: 'chime-recording/youtube', SecretString: URL, VersionId: created.VersionId, VersionStages: ['AWSCURRENT'] });
      expect(got.CreatedDate).toBeInstanceOf(Date);
    }
    // Secrets are regional.
    expect(await failure(west.send(new GetSecretValueCommand({ SecretId: 'chime-recording/youtube' })))).toMatchObject({ name: 'ResourceNotFoundException', status: 400 });
  });

  it('refuses a name in use (ResourceExistsException), bad names and two kinds of value (InvalidParameterException)', async () => {
    await sm.send(new CreateSecretCommand({ Name: 'dup', SecretString: 'a' }));
    expect(await failure(sm.send(new CreateSecretCommand({ Name: 'dup', SecretString: 'b' })))).toMatchObject({ name: 'ResourceExistsException', status: 400 });
    expect(await failure(sm.send(new CreateSecretCommand({ Name: 'bad name', SecretString: 'a' })))).toMatchObject({ name: 'InvalidParameterException' });
    const both = await failure(sm.send(new CreateSecretCommand({ Name: 'both', SecretString: URL, SecretBinary: new Uint8Array([1]) })));
    expect(both).toMatchObject({ name: 'InvalidParameterException' });
    expect(both.message).not.toContain('sk_live_');
  });

  it('versions values: PutSecretValue moves AWSCURRENT and leaves AWSPREVIOUS; a repeated token is idempotent', async () => {
    const { ARN } = await sm.send(new CreateSecretCommand({ Name: 'versions', SecretString: 'one' }));
    const token = '11111111-2222-3333-4444-555555555555';
    const put = await sm.send(new PutSecretValueCommand({ SecretId: ARN, SecretString: 'two', ClientRequestToken: token }));
    expect(put).toMatchObject({ ARN, VersionId: token, VersionStages: ['AWSCURRENT'] });
    expect(await sm.send(new PutSecretValueCommand({ SecretId: ARN, SecretString: 'two', ClientRequestToken: token }))).toMatchObject({ VersionId: token });
    expect(await failure(sm.send(new PutSecretValueCommand({ SecretId: ARN, SecretString: 'three', ClientRequestToken: token })))).toMatchObject({ name: 'ResourceExistsException' });
    expect((await sm.send(new GetSecretValueCommand({ SecretId: ARN }))).SecretString).toBe('two');
    expect((await sm.send(new GetSecretValueCommand({ SecretId: ARN, VersionStage: 'AWSPREVIOUS' }))).SecretString).toBe('one');
    const binary = await sm.send(new PutSecretValueCommand({ SecretId: ARN, SecretBinary: new Uint8Array([1, 2, 3]) }));
    const got = await sm.send(new GetSecretValueCommand({ SecretId: ARN, VersionId: binary.VersionId }));
    expect([got.SecretString, [...(got.SecretBinary ?? [])]]).toEqual([undefined, [1, 2, 3]]);
  });

  it('answers a secret created without a value, or a missing stage, with ResourceNotFoundException', async () => {
    await sm.send(new CreateSecretCommand({ Name: 'empty' }));
    const err = await failure(sm.send(new GetSecretValueCommand({ SecretId: 'empty' })));
    expect(err).toMatchObject({ name: 'ResourceNotFoundException', status: 400 });
    expect(err.message).toContain('AWSCURRENT');
    expect(await failure(sm.send(new GetSecretValueCommand({ SecretId: 'no-such-secret' })))).toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('schedules deletion (InvalidRequestException while pending, gone after the window) or deletes at once when forced', async () => {
    const { ARN } = await sm.send(new CreateSecretCommand({ Name: 'scheduled', SecretString: URL }));
    const deleted = await sm.send(new DeleteSecretCommand({ SecretId: ARN, RecoveryWindowInDays: 7 }));
    expect(deleted.DeletionDate!.getTime() - clock.now()).toBeGreaterThan(7 * DAY_MS - 60_000);
    const pending = await failure(sm.send(new GetSecretValueCommand({ SecretId: ARN })));
    expect(pending).toMatchObject({ name: 'InvalidRequestException', status: 400 });
    expect(pending.message).toMatch(/marked for deletion/);
    expect(await failure(sm.send(new CreateSecretCommand({ Name: 'scheduled', SecretString: 'x' })))).toMatchObject({ name: 'InvalidRequestException' });
    expect(await failure(sm.send(new DeleteSecretCommand({ SecretId: ARN })))).toMatchObject({ name: 'InvalidRequestException' });
    await clock.run(clock.sleep(8 * DAY_MS));
    expect(await failure(sm.send(new GetSecretValueCommand({ SecretId: ARN })))).toMatchObject({ name: 'ResourceNotFoundException' });

    await sm.send(new CreateSecretCommand({ Name: 'forced', SecretString: 'x' }));
    await sm.send(new DeleteSecretCommand({ SecretId: 'forced', ForceDeleteWithoutRecovery: true }));
    expect(await failure(sm.send(new GetSecretValueCommand({ SecretId: 'forced' })))).toMatchObject({ name: 'ResourceNotFoundException' });
    // AWS answers a forced deletion of an unknown secret as a success; an unforced one is ResourceNotFoundException.
    expect(await sm.send(new DeleteSecretCommand({ SecretId: 'never-existed', ForceDeleteWithoutRecovery: true }))).toMatchObject({ Name: 'never-existed' });
    expect(await failure(sm.send(new DeleteSecretCommand({ SecretId: 'never-existed' })))).toMatchObject({ name: 'ResourceNotFoundException' });
    expect(await failure(sm.send(new DeleteSecretCommand({ SecretId: 'dup', RecoveryWindowInDays: 3 })))).toMatchObject({ name: 'InvalidParameterException' });
    expect(await failure(sm.send(new DeleteSecretCommand({ SecretId: 'dup', RecoveryWindowInDays: 7, ForceDeleteWithoutRecovery: true })))).toMatchObject({ name: 'InvalidParameterException' });
  });

  it('validates members against the model without quoting values, and takes injected faults by operation', async () => {
    const err = await failure(sm.send(new GetSecretValueCommand({ SecretId: 'dup', VersionId: 'short' })));
    expect(err).toMatchObject({ name: 'ValidationException', status: 400 });
    expect(err.message).toContain("'versionId'");
    router.faults.add({ operation: 'GetSecretValue', error: 'InternalServiceError', count: 1 });
    expect(await failure(sm.send(new GetSecretValueCommand({ SecretId: 'dup' })))).toMatchObject({ name: 'InternalServiceError', status: 500 });
    expect((await sm.send(new GetSecretValueCommand({ SecretId: 'dup' }))).SecretString).toBe('a');
  });
});
