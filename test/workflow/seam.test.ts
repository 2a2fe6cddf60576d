import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { startHarness, type Harness } from '../../local/harness';
import { expectHandlersOnSimulatedTime } from './handler-time';

/**
 * The seam between the product and the local cloud: the cloud configures the product's registry of SDK
 * clients (functions/lib/clients) and nothing else, and the handlers run with the retry settings the
 * product chose, which are what they have on AWS.
 */
type Registry = Record<string, { config: { requestHandler?: unknown; maxAttempts: () => Promise<number> } }>;

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe('the seam between the product and the local cloud', () => {
  it('configures every client in the registry', () => {
    const { sdkClients } = require('../../functions/lib/clients') as { sdkClients: Registry };
    const handlers = Object.entries(sdkClients).map(([name, c]) => [name, (c.config.requestHandler as { constructor: { name: string } }).constructor.name]);
    expect(handlers).toEqual(Object.keys(sdkClients).map((name) => [name, 'RequestHandlerSlot']));
  });

  it('runs the handlers with the SDK retry settings the product sets, adding none of its own', async () => {
    const { sdkClients } = require('../../functions/lib/clients') as { sdkClients: Registry };
    for (const client of Object.values(sdkClients)) expect(await client.config.maxAttempts()).toBe(1);
    expect(Object.keys(process.env).filter((k) => /^AWS_(MAX_ATTEMPTS|RETRY_MODE)$/.test(k))).toEqual([]);
    // The same module where Lambda loads it, with an environment that asks for more attempts: code wins.
    process.env.AWS_MAX_ATTEMPTS = '5';
    let fresh: Registry = {};
    try {
      jest.isolateModules(() => {
        fresh = (require('../../functions/lib/clients') as { sdkClients: Registry }).sdkClients;
      });
      const attempts = await Promise.all(Object.values(fresh).map((c) => c.config.maxAttempts()));
      expect(attempts).toEqual(Object.keys(sdkClients).map(() => 1));
    } finally {
      delete process.env.AWS_MAX_ATTEMPTS;
    }
  });
});

describe('an SDK client made outside the registry', () => {
  it("gives the handlers the cloud's simulated time (functions/lib/time.ts), not the system clock", () => expectHandlersOnSimulatedTime(h));

  it('is refused loudly, and the cloud reports it when it closes', async () => {
    const other = await startHarness();
    let closed: unknown;
    try {
      // What a handler gets when it creates its own client: the environment the cloud gave the handlers.
      const stray = new S3Client({});
      await expect(stray.send(new ListBucketsCommand({}))).rejects.toMatchObject({ name: 'UnconfiguredSdkClient', message: expect.stringMatching(/functions\/lib\/clients/) });
      stray.destroy();
      expect(other.cloud.router.unconfiguredClientCalls).toBe(1);
    } finally {
      closed = await other.close().then(() => 'closed', (err: Error) => err.message);
    }
    expect(closed).toMatch(/1 request\(s\) came from AWS SDK clients made outside functions\/lib\/clients/);
    // Its files are gone all the same.
    expect(require('node:fs').existsSync(other.dataDir)).toBe(false);
  });
});

describe('the time seam', () => {
  it('leaves no handler reading the system clock except through functions/lib/time.ts', () => {
    const fs = require('node:fs') as typeof import('node:fs');
    const path = require('node:path') as typeof import('node:path');
    const root = path.resolve(__dirname, '../../functions');
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(file);
        else if (file.endsWith('.ts') && file !== path.join(root, 'lib/time.ts') && /\bDate\.now\(|new Date\(\)/.test(fs.readFileSync(file, 'utf8'))) offenders.push(path.relative(root, file));
      }
    };
    walk(root);
    expect(offenders).toEqual([]);
  });
});
