import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { InProcessHttpHandler } from '../../../local/core/in-process';
import { LocalCloud } from '../../../local/cloud';

/**
 * The request handler the in-process Lambdas' SDK clients use: the same requests reach the same services
 * as over the HTTP port, with the same answers (bodies, streams, HEAD, errors, query strings), counted
 * and fault-injected by the router like any other call.
 */
let cloud: LocalCloud;
let dataDir: string;
const clients: Array<{ destroy(): void }> = [];

function both<T extends { destroy(): void }>(make: (config: Record<string, unknown>) => T): { http: T; inProcess: T } {
  const http = make(cloud.clientConfig());
  const inProcess = make({ ...cloud.clientConfig(), requestHandler: new InProcessHttpHandler(cloud.router, 'us-east-1') });
  clients.push(http, inProcess);
  return { http, inProcess };
}

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'in-process-'));
  cloud = await LocalCloud.start({ port: 0, dataDir });
  await cloud.createBucket('in-process-bucket', { captureSink: true, concatenationSink: true });
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await cloud.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('in-process request handler', () => {
  it('answers S3 as the HTTP port does: bodies, streamed reads, HEAD, listings with odd prefixes, XML errors', async () => {
    const { http, inProcess } = both((c) => new S3Client(c));
    const Bucket = 'in-process-bucket';
    await inProcess.send(new PutObjectCommand({ Bucket, Key: 'a b/ü+x.txt', Body: 'hello', ContentType: 'text/plain', Metadata: { who: 'me' } }));
    await http.send(new PutObjectCommand({ Bucket, Key: 'a b/other.txt', Body: Buffer.from('bytes') }));
    for (const client of [http, inProcess]) {
      const got = await client.send(new GetObjectCommand({ Bucket, Key: 'a b/ü+x.txt' }));
      expect([await got.Body?.transformToString(), got.ContentType, got.Metadata]).toEqual(['hello', 'text/plain', { who: 'me' }]);
      const head = await client.send(new HeadObjectCommand({ Bucket, Key: 'a b/other.txt' }));
      expect(head.ContentLength).toBe(5);
      const listed = await client.send(new ListObjectsV2Command({ Bucket, Prefix: 'a b/', StartAfter: 'a b/a' }));
      expect(listed.Contents?.map((o) => o.Key)).toEqual(['a b/other.txt', 'a b/ü+x.txt']);
      await expect(client.send(new GetObjectCommand({ Bucket, Key: 'missing' }))).rejects.toMatchObject({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
    }
    const deleted = await inProcess.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: [{ Key: 'a b/ü+x.txt' }, { Key: 'a b/other.txt' }] } }));
    expect(deleted.Deleted?.map((d) => d.Key).sort()).toEqual(['a b/other.txt', 'a b/ü+x.txt']);
    expect((await http.send(new ListObjectsV2Command({ Bucket, Prefix: 'a b/' }))).KeyCount).toBe(0);
  });

  it('goes through the router: calls are counted and faults apply', async () => {
    const { inProcess } = both((c) => new DynamoDBClient(c));
    await cloud.deploy();
    const TableName = 'chime-recording-local-recordings';
    const before = cloud.router.calls.get('dynamodb:PutItem') ?? 0;
    await inProcess.send(new PutItemCommand({ TableName, Item: { meetingId: { S: 'm-1' }, executionName: { S: 'e' } } }));
    expect(cloud.router.calls.get('dynamodb:PutItem')).toBe(before + 1);
    expect((await inProcess.send(new GetItemCommand({ TableName, Key: { meetingId: { S: 'm-1' } } }))).Item?.executionName).toEqual({ S: 'e' });
    cloud.router.faults.add({ operation: 'GetItem', error: 'ProvisionedThroughputExceededException' });
    await expect(inProcess.send(new GetItemCommand({ TableName, Key: { meetingId: { S: 'm-1' } } }))).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException' });
  });

  it('is what deploy gives the handlers\' clients (unless lambdaTransport is http)', async () => {
    const { dynamodb } = require('../../../functions/lib/clients/dynamodb') as { dynamodb: DynamoDBClient };
    expect((dynamodb.config.requestHandler as unknown as { target: unknown }).target).toBeInstanceOf(InProcessHttpHandler);
  });

  it("re-points the handlers' clients when given another handler, though they cache their resolved middleware", async () => {
    const { dynamodb } = require('../../../functions/lib/clients/dynamodb') as { dynamodb: DynamoDBClient };
    expect(dynamodb.config.cacheMiddleware).toBe(true);
    const Key = { meetingId: { S: 'm-1' } };
    const TableName = 'chime-recording-local-recordings';
    const before = cloud.router.calls.get('dynamodb:GetItem') ?? 0;
    await dynamodb.send(new GetItemCommand({ TableName, Key }));
    expect(cloud.router.calls.get('dynamodb:GetItem')).toBe(before + 1);
    const seen: string[] = [];
    const inProcess = new InProcessHttpHandler(cloud.router, 'us-east-1');
    cloud.lambda.useRequestHandler({ handle: (request: unknown, options?: unknown) => (seen.push('other'), inProcess.handle(request as never, options as never)) });
    try {
      await dynamodb.send(new GetItemCommand({ TableName, Key }));
      expect(seen).toEqual(['other']);
    } finally {
      cloud.lambda.useRequestHandler(inProcess);
    }
    await dynamodb.send(new GetItemCommand({ TableName, Key }));
    expect(seen).toEqual(['other']);
    expect(cloud.router.calls.get('dynamodb:GetItem')).toBe(before + 3);
  });
});
