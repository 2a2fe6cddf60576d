import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteBucketEncryptionCommand,
  DeleteBucketPolicyCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketLocationCommand,
  GetBucketPolicyCommand,
  GetObjectCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  S3Client,
  UploadPartCopyCommand,
  type BucketLocationConstraint,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { EventBus } from '../../../local/core/bus';
import { resolveBehaviours } from '../../../local/core/behaviours';
import { SimClock } from '../../../local/core/clock';
import type { CloudContext } from '../../../local/core/context';
import { Router, listen } from '../../../local/core/server';
import type { LocalRequest } from '../../../local/core/service';
import { S3Service } from '../../../local/services/s3';
import { checkCopyObjectSource, copyPartRange } from '../../../local/services/s3-copy';

const REGION = 'us-east-1';
const credentials = { accessKeyId: 'AKID', secretAccessKey: 'x' };
const md5 = (b: Buffer | string) => `"${createHash('md5').update(b).digest('hex')}"`;

interface Cloud {
  ctx: CloudContext;
  s3: S3Service;
  router: Router;
  server: http.Server;
  port: number;
  requests: LocalRequest[];
}

const running: Cloud[] = [];

async function startCloud(ctx: CloudContext): Promise<Cloud> {
  const s3 = new S3Service(ctx);
  const router = new Router(REGION, ctx.clock);
  router.register(s3);
  // What the server actually received, to check the wire format SDK clients use.
  const requests: LocalRequest[] = [];
  const dispatch = router.dispatch.bind(router);
  router.dispatch = (req) => {
    requests.push(req);
    return dispatch(req);
  };
  const { server, port } = await listen(router, 0, REGION);
  const cloud = { ctx, s3, router, server, port, requests };
  running.push(cloud);
  return cloud;
}

function client(cloud: Cloud, extra: Partial<S3ClientConfig> = {}): S3Client {
  return new S3Client({ endpoint: `http://127.0.0.1:${cloud.port}`, forcePathStyle: true, region: REGION, credentials, maxAttempts: 1, ...extra });
}

async function failure(promise: Promise<unknown>): Promise<{ name: string; status: number | undefined }> {
  try {
    await promise;
  } catch (err) {
    if (!(err instanceof Error)) throw err;
    const { $metadata } = err as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: err.name, status: $metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

/** A raw signed-looking request (the local cloud routes by the credential scope and does not verify signatures). */
function rawRequest(port: number, method: string, urlPath: string, headers: Record<string, string>, body: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: urlPath,
        headers: { authorization: `AWS4-HMAC-SHA256 Credential=AKID/20260101/${REGION}/s3/aws4_request, SignedHeaders=host, Signature=0`, 'content-length': String(body.length), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function awsChunked(parts: Buffer[], trailer = '', signed = false): Buffer {
  const sig = signed ? `;chunk-signature=${'0'.repeat(64)}` : '';
  const frames = parts.map((p) => Buffer.concat([Buffer.from(`${p.length.toString(16)}${sig}\r\n`), p, Buffer.from('\r\n')]));
  return Buffer.concat([...frames, Buffer.from(`0${sig}\r\n${trailer}\r\n`)]);
}

function crc32(b: Buffer): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(zlib.crc32(b));
  return out.toString('base64');
}

describe('S3 emulator', () => {
  let dataDir: string;
  let ctx: CloudContext;
  let cloud: Cloud;
  let s3: S3Client;
  /** For the bucket in eu-west-1, which answers only there. */
  let eu: S3Client;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-s3-'));
    const clock = new SimClock('virtual');
    ctx = { clock, bus: new EventBus(clock, '123456789012', REGION), account: '123456789012', region: REGION, dataDir, behaviours: resolveBehaviours() };
    cloud = await startCloud(ctx);
    s3 = client(cloud);
    eu = client(cloud, { region: 'eu-west-1' });
  });

  afterAll(async () => {
    s3.destroy();
    eu.destroy();
    for (const c of running) {
      await new Promise<void>((resolve) => {
        c.server.close(() => resolve());
        c.server.closeAllConnections();
      });
      await c.router.close();
    }
    ctx.clock.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  describe('buckets', () => {
    it('creates buckets in us-east-1 (no configuration) and other regions, and reports them as AWS does', async () => {
      const created = await s3.send(new CreateBucketCommand({ Bucket: 'alpha' }));
      expect(created.Location).toBe('/alpha');
      await s3.send(new CreateBucketCommand({ Bucket: 'beta.eu', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));

      expect((await s3.send(new GetBucketLocationCommand({ Bucket: 'alpha' }))).LocationConstraint ?? '').toBe('');
      expect((await s3.send(new GetBucketLocationCommand({ Bucket: 'beta.eu' }))).LocationConstraint).toBe('eu-west-1');
      // A bucket answers only requests signed for its region; elsewhere 301 names its region, which an SDK
      // client can follow (followRegionRedirects).
      expect(await failure(s3.send(new GetBucketPolicyCommand({ Bucket: 'beta.eu' })))).toEqual({ name: 'PermanentRedirect', status: 301 });
      expect((await failure(s3.send(new HeadBucketCommand({ Bucket: 'beta.eu' })))).status).toBe(301);
      expect((await eu.send(new HeadBucketCommand({ Bucket: 'beta.eu' }))).BucketRegion).toBe('eu-west-1');
      const following = client(cloud, { followRegionRedirects: true });
      try {
        expect((await following.send(new HeadBucketCommand({ Bucket: 'beta.eu' }))).BucketRegion).toBe('eu-west-1');
        expect(await failure(following.send(new GetBucketPolicyCommand({ Bucket: 'beta.eu' })))).toEqual({ name: 'NoSuchBucketPolicy', status: 404 });
      } finally {
        following.destroy();
      }

      const listed = await s3.send(new ListBucketsCommand({}));
      expect(listed.Buckets?.map((b) => [b.Name, b.BucketRegion])).toEqual([
        ['alpha', 'us-east-1'],
        ['beta.eu', 'eu-west-1'],
      ]);
      expect(listed.Buckets?.[0]?.CreationDate).toBeInstanceOf(Date);
      expect(listed.Owner?.ID).toMatch(/^[0-9a-f]{64}$/);
      expect((await s3.send(new ListBucketsCommand({ Prefix: 'be' }))).Buckets?.map((b) => b.Name)).toEqual(['beta.eu']);

      expect(cloud.s3.bucket('beta.eu')).toEqual({ name: 'beta.eu', region: 'eu-west-1', policy: undefined, encryption: undefined });
      expect(fs.statSync(path.join(dataDir, 's3', 'alpha')).isDirectory()).toBe(true);
      expect(JSON.parse(fs.readFileSync(path.join(dataDir, 's3-buckets', 'beta.eu.json'), 'utf8'))).toMatchObject({ name: 'beta.eu', region: 'eu-west-1' });
    });

    it('rejects existing, invalid and misplaced buckets with the AWS error codes', async () => {
      // Re-creating a bucket you own: 409 everywhere but North Virginia, where legacy compatibility answers 200.
      expect(await failure(s3.send(new CreateBucketCommand({ Bucket: 'beta.eu', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } })))).toEqual({ name: 'BucketAlreadyOwnedByYou', status: 409 });
      expect((await s3.send(new CreateBucketCommand({ Bucket: 'alpha' }))).$metadata.httpStatusCode).toBe(200);
      expect(await failure(s3.send(new CreateBucketCommand({ Bucket: 'Bad_Name' })))).toEqual({ name: 'InvalidBucketName', status: 400 });
      expect(await failure(s3.send(new CreateBucketCommand({ Bucket: 'gamma', CreateBucketConfiguration: { LocationConstraint: 'us-east-1' as BucketLocationConstraint } })))).toEqual({
        name: 'InvalidLocationConstraint',
        status: 400,
      });
      // HEAD responses carry no body, so the SDK names the error after the status.
      expect(await failure(s3.send(new HeadBucketCommand({ Bucket: 'missing' })))).toEqual({ name: 'NotFound', status: 404 });
      expect(await failure(s3.send(new GetBucketLocationCommand({ Bucket: 'missing' })))).toEqual({ name: 'NoSuchBucket', status: 404 });
      expect(await failure(s3.send(new ListObjectsV2Command({ Bucket: 'missing' })))).toEqual({ name: 'NoSuchBucket', status: 404 });
    });

    it('renders errors as S3 XML with the bucket name and a request id', async () => {
      const res = await rawRequest(cloud.port, 'GET', '/missing?location', {}, Buffer.alloc(0));
      expect(res.status).toBe(404);
      expect(res.body).toMatch(/<Error><Code>NoSuchBucket<\/Code><Message>The specified bucket does not exist<\/Message><BucketName>missing<\/BucketName><RequestId>[0-9A-F]{16}<\/RequestId><\/Error>/);
    });

    it('stores, returns and deletes a bucket policy, rejecting malformed ones', async () => {
      expect(await failure(s3.send(new GetBucketPolicyCommand({ Bucket: 'alpha' })))).toEqual({ name: 'NoSuchBucketPolicy', status: 404 });
      expect(await failure(s3.send(new PutBucketPolicyCommand({ Bucket: 'alpha', Policy: 'not json' })))).toEqual({ name: 'MalformedPolicy', status: 400 });
      expect(await failure(s3.send(new PutBucketPolicyCommand({ Bucket: 'alpha', Policy: '{"Version":"2012-10-17"}' })))).toEqual({ name: 'MalformedPolicy', status: 400 });

      const policy = JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'mediapipelines.chime.amazonaws.com' }, Action: 's3:PutObject', Resource: 'arn:aws:s3:::alpha/*' }],
      });
      await s3.send(new PutBucketPolicyCommand({ Bucket: 'alpha', Policy: policy }));
      expect((await s3.send(new GetBucketPolicyCommand({ Bucket: 'alpha' }))).Policy).toBe(policy);
      expect(cloud.s3.bucket('alpha')?.policy).toBe(policy);

      await s3.send(new DeleteBucketPolicyCommand({ Bucket: 'alpha' }));
      expect(await failure(s3.send(new GetBucketPolicyCommand({ Bucket: 'alpha' })))).toEqual({ name: 'NoSuchBucketPolicy', status: 404 });
      expect(await failure(s3.send(new PutBucketPolicyCommand({ Bucket: 'missing', Policy: policy })))).toEqual({ name: 'NoSuchBucket', status: 404 });
    });

    it('configures default encryption, applies it to new objects and removes it', async () => {
      expect(await failure(eu.send(new GetBucketEncryptionCommand({ Bucket: 'beta.eu' })))).toEqual({ name: 'ServerSideEncryptionConfigurationNotFoundError', status: 404 });
      const keyArn = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
      await eu.send(
        new PutBucketEncryptionCommand({
          Bucket: 'beta.eu',
          ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn }, BucketKeyEnabled: true }] },
        }),
      );
      const rules = (await eu.send(new GetBucketEncryptionCommand({ Bucket: 'beta.eu' }))).ServerSideEncryptionConfiguration?.Rules;
      expect(rules).toEqual([{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn }, BucketKeyEnabled: true }]);
      expect(cloud.s3.bucket('beta.eu')?.encryption).toEqual({ algorithm: 'aws:kms', kmsKeyId: keyArn });

      const put = await eu.send(new PutObjectCommand({ Bucket: 'beta.eu', Key: 'secret.txt', Body: 'hush' }));
      expect([put.ServerSideEncryption, put.SSEKMSKeyId, put.BucketKeyEnabled]).toEqual(['aws:kms', keyArn, true]);
      expect((await eu.send(new HeadObjectCommand({ Bucket: 'beta.eu', Key: 'secret.txt' }))).ServerSideEncryption).toBe('aws:kms');

      expect(
        await failure(
          eu.send(
            new PutBucketEncryptionCommand({
              Bucket: 'beta.eu',
              ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256', KMSMasterKeyID: keyArn } }] },
            }),
          ),
        ),
      ).toEqual({ name: 'InvalidArgument', status: 400 });

      await eu.send(new DeleteBucketEncryptionCommand({ Bucket: 'beta.eu' }));
      expect(await failure(eu.send(new GetBucketEncryptionCommand({ Bucket: 'beta.eu' })))).toEqual({ name: 'ServerSideEncryptionConfigurationNotFoundError', status: 404 });
      expect(cloud.s3.bucket('beta.eu')?.encryption).toBeUndefined();
    });

    it('stores lifecycle and public access block configurations as sent', async () => {
      expect(await failure(s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'alpha' })))).toEqual({ name: 'NoSuchLifecycleConfiguration', status: 404 });
      await s3.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket: 'alpha',
          LifecycleConfiguration: { Rules: [{ ID: 'expire-chunks', Status: 'Enabled', Filter: { Prefix: 'audio/' }, Expiration: { Days: 7 } }] },
        }),
      );
      const lifecycle = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'alpha' }));
      expect(lifecycle.Rules).toEqual([{ ID: 'expire-chunks', Status: 'Enabled', Filter: { Prefix: 'audio/' }, Expiration: { Days: 7 } }]);

      expect(await failure(s3.send(new GetPublicAccessBlockCommand({ Bucket: 'alpha' })))).toEqual({ name: 'NoSuchPublicAccessBlockConfiguration', status: 404 });
      const block = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: false };
      await s3.send(new PutPublicAccessBlockCommand({ Bucket: 'alpha', PublicAccessBlockConfiguration: block }));
      expect((await s3.send(new GetPublicAccessBlockCommand({ Bucket: 'alpha' }))).PublicAccessBlockConfiguration).toEqual(block);
    });
  });

  describe('objects', () => {
    it('puts a string body and returns it with its ETag, content type and metadata, as a real file', async () => {
      const put = await s3.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'notes/hello.txt', Body: 'hello world', ContentType: 'text/plain', Metadata: { meeting: 'm-1' } }));
      expect(put.ETag).toBe(md5('hello world'));

      const got = await s3.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'notes/hello.txt' }));
      expect(await got.Body?.transformToString()).toBe('hello world');
      expect([got.ETag, got.ContentType, got.ContentLength, got.Metadata]).toEqual([md5('hello world'), 'text/plain', 11, { meeting: 'm-1' }]);
      expect(got.LastModified).toBeInstanceOf(Date);

      expect(fs.readFileSync(path.join(dataDir, 's3', 'alpha', 'notes', 'hello.txt'), 'utf8')).toBe('hello world');
      expect(cloud.s3.filePath('alpha', 'notes/hello.txt')).toBe(path.join(dataDir, 's3', 'alpha', 'notes', 'hello.txt'));
      // Metadata lives outside the bucket folder, which holds only the user's files.
      expect(fs.readdirSync(path.join(dataDir, 's3', 'alpha', 'notes'))).toEqual(['hello.txt']);
    });

    it('puts a binary Buffer byte for byte, verifying the SDK checksum, and serves HEAD and ranges', async () => {
      const bytes = Buffer.from(Array.from({ length: 1024 }, (_, i) => i % 256));
      const put = await s3.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'bin/all-bytes.bin', Body: bytes }));
      expect(put.ETag).toBe(md5(bytes));
      expect(put.ChecksumCRC32).toBe(crc32(bytes));
      expect(fs.readFileSync(path.join(dataDir, 's3', 'alpha', 'bin', 'all-bytes.bin')).equals(bytes)).toBe(true);

      const got = await s3.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'bin/all-bytes.bin' }));
      expect(Buffer.from((await got.Body?.transformToByteArray()) ?? []).equals(bytes)).toBe(true);
      // The SDK labels a Buffer application/octet-stream; S3's own default, binary/octet-stream, is for bodies sent without a type.
      expect(got.ContentType).toBe('application/octet-stream');
      // The SDK asked for (and validated) the stored full-object checksum.
      expect(got.ChecksumCRC32).toBe(crc32(bytes));

      const head = await s3.send(new HeadObjectCommand({ Bucket: 'alpha', Key: 'bin/all-bytes.bin' }));
      expect([head.ContentLength, head.ETag]).toEqual([1024, md5(bytes)]);

      const ranged = await s3.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'bin/all-bytes.bin', Range: 'bytes=10-19' }));
      expect(ranged.ContentRange).toBe('bytes 10-19/1024');
      expect(Buffer.from((await ranged.Body?.transformToByteArray()) ?? []).equals(bytes.subarray(10, 20))).toBe(true);
      expect(await failure(s3.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'bin/all-bytes.bin', Range: 'bytes=5000-' })))).toEqual({ name: 'InvalidRange', status: 416 });
    });

    it('decodes the aws-chunked body the SDK sends for a stream, with its trailing checksum', async () => {
      const parts = [Buffer.alloc(70_000, 'a'), Buffer.alloc(5, 'b'), Buffer.from('end')];
      const whole = Buffer.concat(parts);
      cloud.requests.length = 0;
      await s3.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'stream/chunked.bin', Body: Readable.from(parts), ContentLength: whole.length }));
      const sent = cloud.requests.find((r) => r.method === 'PUT');
      expect(sent?.headers['x-amz-content-sha256']).toBe('STREAMING-UNSIGNED-PAYLOAD-TRAILER');
      expect(sent?.headers['content-encoding']).toContain('aws-chunked');
      expect(sent?.body.length).toBeGreaterThan(whole.length);

      expect(fs.readFileSync(path.join(dataDir, 's3', 'alpha', 'stream', 'chunked.bin')).equals(whole)).toBe(true);
      const head = await s3.send(new HeadObjectCommand({ Bucket: 'alpha', Key: 'stream/chunked.bin', ChecksumMode: 'ENABLED' }));
      expect([head.ContentLength, head.ETag, head.ChecksumCRC32, head.ContentEncoding]).toEqual([whole.length, md5(whole), crc32(whole), undefined]);
    });

    it('decodes signed aws-chunked bodies and rejects corrupt ones with BadDigest or IncompleteBody', async () => {
      const parts = [Buffer.from('first chunk '), Buffer.from('second chunk')];
      const whole = Buffer.concat(parts);
      const signed = {
        'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
        'content-encoding': 'aws-chunked',
        'x-amz-decoded-content-length': String(whole.length),
      };
      expect((await rawRequest(cloud.port, 'PUT', '/alpha/raw/signed.txt', signed, awsChunked(parts, '', true))).status).toBe(200);
      expect(await cloud.s3.getObject('alpha', 'raw/signed.txt')).toEqual(whole);

      const trailer = { 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'content-encoding': 'aws-chunked', 'x-amz-trailer': 'x-amz-checksum-crc32', 'x-amz-decoded-content-length': String(whole.length) };
      const good = await rawRequest(cloud.port, 'PUT', '/alpha/raw/trailer.txt', trailer, awsChunked(parts, `x-amz-checksum-crc32:${crc32(whole)}\r\n`));
      expect(good.status).toBe(200);
      const bad = await rawRequest(cloud.port, 'PUT', '/alpha/raw/bad.txt', trailer, awsChunked(parts, `x-amz-checksum-crc32:${crc32(Buffer.from('other'))}\r\n`));
      expect([bad.status, /<Code>BadDigest<\/Code>/.test(bad.body)]).toEqual([400, true]);
      const truncated = await rawRequest(cloud.port, 'PUT', '/alpha/raw/short.txt', signed, awsChunked(parts, '', true).subarray(0, 20));
      expect([truncated.status, /<Code>IncompleteBody<\/Code>/.test(truncated.body)]).toEqual([400, true]);
      const wrongHeader = await rawRequest(cloud.port, 'PUT', '/alpha/raw/plain.txt', { 'x-amz-checksum-crc32': crc32(Buffer.from('nope')) }, whole);
      expect([wrongHeader.status, /<Code>BadDigest<\/Code>/.test(wrongHeader.body)]).toEqual([400, true]);
      const wrongSha = await rawRequest(cloud.port, 'PUT', '/alpha/raw/plain.txt', { 'x-amz-content-sha256': 'a'.repeat(64) }, whole);
      expect([wrongSha.status, /<Code>XAmzContentSHA256Mismatch<\/Code>/.test(wrongSha.body)]).toEqual([400, true]);
      expect(await cloud.s3.listKeys('alpha', 'raw/')).toEqual(['raw/signed.txt', 'raw/trailer.txt']);
    });

    it('answers missing objects with NoSuchKey (NotFound for HEAD) and deletes idempotently', async () => {
      expect(await failure(s3.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'nope.txt' })))).toEqual({ name: 'NoSuchKey', status: 404 });
      expect(await failure(s3.send(new HeadObjectCommand({ Bucket: 'alpha', Key: 'nope.txt' })))).toEqual({ name: 'NotFound', status: 404 });
      expect(await failure(s3.send(new GetObjectCommand({ Bucket: 'missing', Key: 'nope.txt' })))).toEqual({ name: 'NoSuchBucket', status: 404 });
      expect(await failure(s3.send(new PutObjectCommand({ Bucket: 'missing', Key: 'x', Body: 'x' })))).toEqual({ name: 'NoSuchBucket', status: 404 });

      await s3.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'tmp/gone.txt', Body: 'bye' }));
      expect((await s3.send(new DeleteObjectCommand({ Bucket: 'alpha', Key: 'tmp/gone.txt' }))).$metadata.httpStatusCode).toBe(204);
      expect(await failure(s3.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'tmp/gone.txt' })))).toEqual({ name: 'NoSuchKey', status: 404 });
      expect((await s3.send(new DeleteObjectCommand({ Bucket: 'alpha', Key: 'tmp/gone.txt' }))).$metadata.httpStatusCode).toBe(204);
      // S3 has no folders: the emptied one is gone from disk too.
      expect(fs.existsSync(path.join(dataDir, 's3', 'alpha', 'tmp'))).toBe(false);
    });

    it('serves a presigned GET (query-string SigV4) until it expires on the cloud\'s clock, then refuses it as S3 does', async () => {
      const body = Buffer.from('a finished recording');
      await s3.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'links/file.mp4', Body: body, ContentType: 'video/mp4' }));
      // Signed at the cloud's time, as the handlers sign (functions/lib/time.ts), valid for a minute.
      const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'alpha', Key: 'links/file.mp4' }), { expiresIn: 60, signingDate: ctx.clock.date() });
      // No credentials and no Authorization header: the link alone.
      const ok = await fetch(url);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toBe('video/mp4');
      expect(Buffer.from(await ok.arrayBuffer())).toEqual(body);

      await ctx.clock.run(ctx.clock.sleep(61_000));
      const expired = await fetch(url);
      expect(expired.status).toBe(403);
      const xml = await expired.text();
      expect(xml).toContain('<Code>AccessDenied</Code>');
      expect(xml).toContain('<Message>Request has expired</Message>');
      expect(xml).toContain('<X-Amz-Expires>60</X-Amz-Expires>');
      expect(xml).toMatch(/<Expires>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ<\/Expires><ServerTime>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ<\/ServerTime>/);

      // Malformed links are refused before the object is looked at.
      const fresh = new URL(await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'alpha', Key: 'links/file.mp4' }), { expiresIn: 60, signingDate: ctx.clock.date() }));
      const variant = async (change: (q: URLSearchParams) => void) => {
        const u = new URL(fresh);
        change(u.searchParams);
        const res = await fetch(u);
        return { status: res.status, message: /<Code>(.*)<\/Code><Message>(.*)<\/Message>/.exec(await res.text())?.slice(1) };
      };
      expect(await variant((q) => q.set('X-Amz-Expires', '604801'))).toEqual({ status: 400, message: ['AuthorizationQueryParametersError', expect.stringMatching(/^X-Amz-Expires must be less than a week/)] });
      expect(await variant((q) => q.delete('X-Amz-Signature'))).toEqual({ status: 400, message: ['AuthorizationQueryParametersError', expect.stringMatching(/^Query-string authentication version 4 requires/)] });
      expect(await variant((q) => q.set('X-Amz-Date', '2026-01-01'))).toEqual({ status: 400, message: ['AuthorizationQueryParametersError', expect.stringMatching(/^X-Amz-Date must be in the ISO8601 Long Format/)] });
      expect(await variant((q) => q.set('X-Amz-Algorithm', 'AWS4-HMAC-SHA1'))).toEqual({ status: 400, message: ['AuthorizationQueryParametersError', 'X-Amz-Algorithm only supports &quot;AWS4-HMAC-SHA256&quot;'] });
    });

    it('keeps keys inside their bucket and refuses keys a file system cannot hold', async () => {
      expect(() => cloud.s3.filePath('alpha', '../beta.eu/x')).toThrow(/segments cannot be/);
      expect(() => cloud.s3.filePath('alpha', 'a/../../../etc/passwd')).toThrow(/segments cannot be/);
      expect(() => cloud.s3.filePath('../etc', 'x')).toThrow(/bucket is not valid/);
      await expect(cloud.s3.putObject('alpha', 'a/./b', 'x')).rejects.toThrow(/segments cannot be/);
      expect(await failure(s3.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'double//slash', Body: 'x' })))).toEqual({ name: 'InvalidArgument', status: 400 });
      // An encoded traversal arrives as a literal ".." segment after the URL is decoded.
      const res = await rawRequest(cloud.port, 'PUT', '/alpha/x/%2e%2e%2f%2e%2e%2fescape.txt', {}, Buffer.from('x'));
      expect(res.status).toBe(400);
      expect(fs.existsSync(path.join(dataDir, 's3', 'escape.txt'))).toBe(false);
      expect(await failure(s3.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'notes/hello.txt/inner', Body: 'x' })))).toEqual({ name: 'InvalidArgument', status: 400 });
    });
  });

  describe('ListObjectsV2 and DeleteObjects', () => {
    const [audio1, audio2] = ['rec/audio/2026-01-01-00-00-00-000.mp4', 'rec/audio/2026-01-01-00-00-05-000.mp4'];
    const keys = [audio1, audio2, 'rec/video/2026-01-01-00-00-00-000-att1.mp4', 'rec/meeting-events/events.txt', 'rec/readme.txt', 'other.txt'];

    beforeAll(async () => {
      await s3.send(new CreateBucketCommand({ Bucket: 'listing' }));
      for (const key of keys) await s3.send(new PutObjectCommand({ Bucket: 'listing', Key: key, Body: key }));
      await s3.send(new PutObjectCommand({ Bucket: 'listing', Key: 'rec/empty-folder/', Body: Buffer.alloc(0) }));
    });

    it('lists by prefix in key order with sizes and ETags', async () => {
      const out = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', Prefix: 'rec/audio/' }));
      expect(out.Contents?.map((o) => [o.Key, o.Size, o.ETag, o.StorageClass])).toEqual([
        [audio1, audio1.length, md5(audio1), 'STANDARD'],
        [audio2, audio2.length, md5(audio2), 'STANDARD'],
      ]);
      expect([out.KeyCount, out.IsTruncated, out.Prefix, out.Name]).toEqual([2, false, 'rec/audio/', 'listing']);
      expect(out.Contents?.[0]?.LastModified).toBeInstanceOf(Date);
    });

    it('groups by delimiter into CommonPrefixes, including folder objects', async () => {
      const top = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', Delimiter: '/' }));
      expect(top.Contents?.map((o) => o.Key)).toEqual(['other.txt']);
      expect(top.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['rec/']);

      const rec = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', Prefix: 'rec/', Delimiter: '/' }));
      expect(rec.Contents?.map((o) => o.Key)).toEqual(['rec/readme.txt']);
      expect(rec.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['rec/audio/', 'rec/empty-folder/', 'rec/meeting-events/', 'rec/video/']);
      expect(rec.KeyCount).toBe(5);

      const folder = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', Prefix: 'rec/empty-folder/' }));
      expect(folder.Contents?.map((o) => [o.Key, o.Size])).toEqual([['rec/empty-folder/', 0]]);
    });

    it('pages with max-keys and continuation tokens across keys and common prefixes', async () => {
      const seen: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const out = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', Prefix: 'rec/', Delimiter: '/', MaxKeys: 2, ContinuationToken: token }));
        seen.push(...(out.CommonPrefixes ?? []).map((p) => p.Prefix ?? ''), ...(out.Contents ?? []).map((o) => o.Key ?? ''));
        expect(out.KeyCount).toBeLessThanOrEqual(2);
        token = out.NextContinuationToken;
        expect(out.IsTruncated).toBe(token !== undefined);
        pages += 1;
      } while (token);
      expect(pages).toBe(3);
      expect(seen.sort()).toEqual(['rec/audio/', 'rec/empty-folder/', 'rec/meeting-events/', 'rec/readme.txt', 'rec/video/']);

      const after = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', StartAfter: 'rec/meeting-events/events.txt' }));
      expect(after.Contents?.map((o) => o.Key)).toEqual(['rec/readme.txt', 'rec/video/2026-01-01-00-00-00-000-att1.mp4']);
      expect(await failure(s3.send(new ListObjectsV2Command({ Bucket: 'listing', ContinuationToken: 'garbage!' })))).toEqual({ name: 'InvalidArgument', status: 400 });
    });

    it('url-encodes keys when asked, as the AWS CLI does', async () => {
      await s3.send(new PutObjectCommand({ Bucket: 'listing', Key: 'odd/a b+c&d.txt', Body: 'x' }));
      const out = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', Prefix: 'odd/', EncodingType: 'url' }));
      expect(out.Contents?.map((o) => decodeURIComponent(o.Key ?? ''))).toEqual(['odd/a b+c&d.txt']);
      expect(out.Contents?.[0]?.Key).toBe('odd%2Fa%20b%2Bc%26d.txt');
    });

    it('deletes many objects at once, then lets the emptied bucket be deleted', async () => {
      expect(await failure(s3.send(new DeleteBucketCommand({ Bucket: 'listing' })))).toEqual({ name: 'BucketNotEmpty', status: 409 });
      const all = await cloud.s3.listKeys('listing', '');
      const out = await s3.send(new DeleteObjectsCommand({ Bucket: 'listing', Delete: { Objects: all.map((Key) => ({ Key })) } }));
      expect(out.Deleted?.map((d) => d.Key).sort()).toEqual([...all].sort());
      expect(out.Errors).toBeUndefined();
      expect(await cloud.s3.listKeys('listing', '')).toEqual([]);

      await s3.send(new DeleteBucketCommand({ Bucket: 'listing' }));
      expect(await failure(s3.send(new HeadBucketCommand({ Bucket: 'listing' })))).toEqual({ name: 'NotFound', status: 404 });
      expect(fs.existsSync(path.join(dataDir, 's3', 'listing'))).toBe(false);
      expect(fs.existsSync(path.join(dataDir, 's3-buckets', 'listing.json'))).toBe(false);
    });
  });

  describe('copies and multipart copies', () => {
    const MiB = 1024 * 1024;
    // 11 MiB of distinct bytes: two 5 MiB parts (the smallest a part but the last may be) and a 1 MiB last part.
    const big = Buffer.from(Array.from({ length: 11 * MiB }, (_, i) => (i * 7 + (i >> 13)) % 251));
    const md5Hex = (b: Buffer) => createHash('md5').update(b).digest('hex');

    beforeAll(async () => {
      await s3.send(new CreateBucketCommand({ Bucket: 'copies' }));
      await s3.send(new PutObjectCommand({ Bucket: 'copies', Key: 'src/audio/pipeline id+1.mp4', Body: big, ContentType: 'audio/mp4', Metadata: { origin: 'capture' } }));
    });

    it('copies an object (URL-encoded x-amz-copy-source), keeping its metadata or replacing it, and answers a CopyObjectResult', async () => {
      const kept = await s3.send(new CopyObjectCommand({ Bucket: 'copies', Key: 'named/kept.mp4', CopySource: `copies/${encodeURIComponent('src/audio/pipeline id+1.mp4')}` }));
      expect(kept.CopyObjectResult?.ETag).toBe(md5(big));
      expect(kept.CopyObjectResult?.LastModified).toBeInstanceOf(Date);
      const keptHead = await s3.send(new HeadObjectCommand({ Bucket: 'copies', Key: 'named/kept.mp4' }));
      expect([keptHead.ContentLength, keptHead.ContentType, keptHead.Metadata, keptHead.ETag]).toEqual([11 * MiB, 'audio/mp4', { origin: 'capture' }, md5(big)]);

      await s3.send(
        new CopyObjectCommand({ Bucket: 'copies', Key: 'named/replaced.mp4', CopySource: `/copies/${encodeURIComponent('src/audio/pipeline id+1.mp4')}`, MetadataDirective: 'REPLACE', ContentType: 'video/mp4', Metadata: { recording: 'r-1' } }),
      );
      const replaced = await s3.send(new GetObjectCommand({ Bucket: 'copies', Key: 'named/replaced.mp4' }));
      expect([replaced.ContentType, replaced.Metadata]).toEqual(['video/mp4', { recording: 'r-1' }]);
      expect(Buffer.from(await replaced.Body!.transformToByteArray()).equals(big)).toBe(true);
      // The wire format: PUT on the destination with the source in a header, no query parameter.
      const put = cloud.requests.findLast((r) => r.method === 'PUT' && r.rawPath === '/copies/named/replaced.mp4');
      expect(put?.headers['x-amz-copy-source']).toBe('/copies/src%2Faudio%2Fpipeline%20id%2B1.mp4');
    });

    it('refuses what S3 refuses: a missing source, a malformed source, a copy onto itself, an existing key under If-None-Match: *', async () => {
      expect(await failure(s3.send(new CopyObjectCommand({ Bucket: 'copies', Key: 'x.mp4', CopySource: 'copies/nope.mp4' })))).toEqual({ name: 'NoSuchKey', status: 404 });
      expect(await failure(s3.send(new CopyObjectCommand({ Bucket: 'copies', Key: 'x.mp4', CopySource: 'no-such-bucket-here/a.mp4' })))).toEqual({ name: 'NoSuchBucket', status: 404 });
      expect(await failure(s3.send(new CopyObjectCommand({ Bucket: 'copies', Key: 'x.mp4', CopySource: 'copies' })))).toEqual({ name: 'InvalidArgument', status: 400 });
      expect(await failure(s3.send(new CopyObjectCommand({ Bucket: 'copies', Key: 'named/kept.mp4', CopySource: 'copies/named/kept.mp4' })))).toEqual({ name: 'InvalidRequest', status: 400 });
      expect(await failure(s3.send(new CopyObjectCommand({ Bucket: 'copies', Key: 'named/kept.mp4', CopySource: 'copies/named/replaced.mp4', IfNoneMatch: '*' })))).toEqual({
        name: 'PreconditionFailed',
        status: 412,
      });
      // The refused conditional copy left the existing object alone.
      expect((await s3.send(new HeadObjectCommand({ Bucket: 'copies', Key: 'named/kept.mp4' }))).Metadata).toEqual({ origin: 'capture' });
      await s3.send(new CopyObjectCommand({ Bucket: 'copies', Key: 'named/new.mp4', CopySource: 'copies/named/kept.mp4', IfNoneMatch: '*' }));
      expect((await s3.send(new HeadObjectCommand({ Bucket: 'copies', Key: 'named/new.mp4' }))).ContentLength).toBe(11 * MiB);
    });

    it('refuses a CopyObject source over 5 GiB (5368709120 bytes) with InvalidRequest, and a part over it', () => {
      expect(() => checkCopyObjectSource(5_368_709_120)).not.toThrow();
      expect(() => checkCopyObjectSource(5_368_709_121)).toThrow(expect.objectContaining({ code: 'InvalidRequest', status: 400, message: 'The specified copy source is larger than the maximum allowable size for a copy source: 5368709120' }));
      expect(() => copyPartRange(undefined, 6 * 1024 ** 3)).toThrow(expect.objectContaining({ code: 'InvalidRequest' }));
      expect(copyPartRange('bytes=0-5368709119', 6 * 1024 ** 3)).toEqual({ start: 0, end: 5_368_709_119 });
      expect(() => copyPartRange('bytes=0-5368709120', 6 * 1024 ** 3)).toThrow(expect.objectContaining({ code: 'InvalidRequest' }));
    });

    it('assembles a multipart copy from source ranges, with the multipart ETag (MD5 of the part MD5s, dash, part count)', async () => {
      const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'copies', Key: 'named/multipart.mp4', ContentType: 'audio/mp4', Metadata: { recording: 'r-2' } }));
      const UploadId = created.UploadId!;
      expect([created.Bucket, created.Key]).toEqual(['copies', 'named/multipart.mp4']);
      const ranges = [[0, 5 * MiB - 1], [5 * MiB, 10 * MiB - 1], [10 * MiB, 11 * MiB - 1]] as const;
      const parts = [];
      for (const [i, [first, last]] of ranges.entries()) {
        const out = await s3.send(
          new UploadPartCopyCommand({ Bucket: 'copies', Key: 'named/multipart.mp4', UploadId, PartNumber: i + 1, CopySource: `copies/${encodeURIComponent('src/audio/pipeline id+1.mp4')}`, CopySourceRange: `bytes=${first}-${last}` }),
        );
        expect(out.CopyPartResult?.ETag).toBe(md5(big.subarray(first, last + 1)));
        parts.push({ PartNumber: i + 1, ETag: out.CopyPartResult!.ETag! });
      }
      // Not yet an object: only CompleteMultipartUpload makes one.
      expect(await failure(s3.send(new HeadObjectCommand({ Bucket: 'copies', Key: 'named/multipart.mp4' })))).toEqual({ name: 'NotFound', status: 404 });
      const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'copies', Key: 'named/multipart.mp4', UploadId, MultipartUpload: { Parts: parts }, IfNoneMatch: '*' }));
      const partDigests = Buffer.concat(ranges.map(([first, last]) => Buffer.from(md5Hex(big.subarray(first, last + 1)), 'hex')));
      const expectedEtag = `"${md5Hex(partDigests)}-3"`;
      expect([done.Bucket, done.Key, done.ETag, done.Location]).toEqual(['copies', 'named/multipart.mp4', expectedEtag, 'https://copies.s3.us-east-1.amazonaws.com/named/multipart.mp4']);
      const got = await s3.send(new GetObjectCommand({ Bucket: 'copies', Key: 'named/multipart.mp4' }));
      expect([got.ContentType, got.Metadata, got.ETag, got.ContentLength]).toEqual(['audio/mp4', { recording: 'r-2' }, expectedEtag, 11 * MiB]);
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(big)).toBe(true);
      // A completed upload is gone.
      expect(await failure(s3.send(new AbortMultipartUploadCommand({ Bucket: 'copies', Key: 'named/multipart.mp4', UploadId })))).toEqual({ name: 'NoSuchUpload', status: 404 });
    });

    it('refuses a part list out of order, a part not uploaded or with another ETag, a small part before the last, and an unknown or aborted upload', async () => {
      const Key = 'named/refused.mp4';
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'copies', Key }));
      const CopySource = `copies/${encodeURIComponent('src/audio/pipeline id+1.mp4')}`;
      const small = await s3.send(new UploadPartCopyCommand({ Bucket: 'copies', Key, UploadId, PartNumber: 1, CopySource, CopySourceRange: 'bytes=0-1048575' }));
      const rest = await s3.send(new UploadPartCopyCommand({ Bucket: 'copies', Key, UploadId, PartNumber: 2, CopySource, CopySourceRange: `bytes=1048576-${11 * MiB - 1}` }));
      const complete = (Parts: Array<{ PartNumber: number; ETag: string }>) => s3.send(new CompleteMultipartUploadCommand({ Bucket: 'copies', Key, UploadId, MultipartUpload: { Parts } }));
      const [p1, p2] = [{ PartNumber: 1, ETag: small.CopyPartResult!.ETag! }, { PartNumber: 2, ETag: rest.CopyPartResult!.ETag! }];
      expect(await failure(complete([p2, p1]))).toEqual({ name: 'InvalidPartOrder', status: 400 });
      expect(await failure(complete([p1, { PartNumber: 3, ETag: p2.ETag }]))).toEqual({ name: 'InvalidPart', status: 400 });
      expect(await failure(complete([p1, { PartNumber: 2, ETag: p1.ETag }]))).toEqual({ name: 'InvalidPart', status: 400 });
      expect(await failure(complete([p1, p2]))).toEqual({ name: 'EntityTooSmall', status: 400 });
      expect(await failure(s3.send(new UploadPartCopyCommand({ Bucket: 'copies', Key, UploadId, PartNumber: 10_001, CopySource })))).toEqual({ name: 'InvalidArgument', status: 400 });
      // A range of a source of at most 5 MB is refused; the whole of it is a valid (last) part.
      await s3.send(new PutObjectCommand({ Bucket: 'copies', Key: 'src/small.bin', Body: big.subarray(0, 5 * MiB) }));
      expect(await failure(s3.send(new UploadPartCopyCommand({ Bucket: 'copies', Key, UploadId, PartNumber: 3, CopySource: 'copies/src/small.bin', CopySourceRange: 'bytes=0-9' })))).toEqual({
        name: 'InvalidRequest',
        status: 400,
      });
      await s3.send(new AbortMultipartUploadCommand({ Bucket: 'copies', Key, UploadId }));
      expect(await failure(complete([p1]))).toEqual({ name: 'NoSuchUpload', status: 404 });
      expect(await failure(s3.send(new UploadPartCopyCommand({ Bucket: 'copies', Key, UploadId, PartNumber: 1, CopySource })))).toEqual({ name: 'NoSuchUpload', status: 404 });
      expect(await failure(s3.send(new HeadObjectCommand({ Bucket: 'copies', Key })))).toEqual({ name: 'NotFound', status: 404 });
    });
  });

  it('offers other emulators direct access to buckets and objects', async () => {
    await cloud.s3.putObject('alpha', 'capture/audio/2026-01-01-00-00-00-000.mp4', Buffer.from([0, 1, 2]), 'audio/mp4');
    await cloud.s3.putObject('alpha', 'capture/meeting-events/x.txt', '{"a":1}\n');
    expect(await cloud.s3.getObject('alpha', 'capture/audio/2026-01-01-00-00-00-000.mp4')).toEqual(Buffer.from([0, 1, 2]));
    expect(await cloud.s3.getObject('alpha', 'capture/none')).toBeUndefined();
    expect(await cloud.s3.getObject('missing', 'x')).toBeUndefined();
    expect(await cloud.s3.listKeys('alpha', 'capture/')).toEqual(['capture/audio/2026-01-01-00-00-00-000.mp4', 'capture/meeting-events/x.txt']);
    await expect(cloud.s3.putObject('missing', 'x', 'x')).rejects.toThrow(/bucket does not exist/);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'alpha', Key: 'capture/audio/2026-01-01-00-00-00-000.mp4' }));
    expect([head.ContentType, head.ContentLength]).toEqual(['audio/mp4', 3]);
  });

  it('treats a file dropped into the bucket folder by hand as an object', async () => {
    fs.writeFileSync(path.join(dataDir, 's3', 'alpha', 'dropped.txt'), 'by hand');
    const got = await s3.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'dropped.txt' }));
    expect([await got.Body?.transformToString(), got.ETag]).toEqual(['by hand', md5('by hand')]);
  });

  it('keeps buckets, configuration and objects across a restart on the same data directory', async () => {
    const policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::beta.eu/*"}]}';
    await eu.send(new PutBucketPolicyCommand({ Bucket: 'beta.eu', Policy: policy }));
    const before = await s3.send(new HeadObjectCommand({ Bucket: 'alpha', Key: 'notes/hello.txt' }));

    const restarted = await startCloud(ctx);
    const s3b = client(restarted);
    try {
      expect(restarted.s3.bucket('beta.eu')).toEqual({ name: 'beta.eu', region: 'eu-west-1', policy, encryption: undefined });
      expect((await s3b.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toEqual(['alpha', 'beta.eu', 'copies']);
      expect((await s3b.send(new GetBucketLocationCommand({ Bucket: 'beta.eu' }))).LocationConstraint).toBe('eu-west-1');
      expect((await s3b.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'alpha' }))).Rules?.[0]?.ID).toBe('expire-chunks');
      const got = await s3b.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'notes/hello.txt' }));
      expect(await got.Body?.transformToString()).toBe('hello world');
      expect([got.ContentType, got.ETag, got.Metadata, got.LastModified]).toEqual([before.ContentType, before.ETag, { meeting: 'm-1' }, before.LastModified]);
    } finally {
      s3b.destroy();
    }
  });

  it('journals object metadata: compacted once mostly superseded, read back after a restart', async () => {
    for (let i = 0; i < 1100; i += 1) await cloud.s3.putObject('alpha', 'journal/same.txt', `version ${i}`, 'text/x-version');
    await cloud.s3.putObject('alpha', 'journal/other.txt', 'other', 'text/x-other');
    const journal = path.join(dataDir, 's3-meta', 'alpha.jsonl');
    // Rewritten with one line per live object when superseded lines piled up, then appended to.
    expect(fs.readFileSync(journal, 'utf8').trim().split('\n').length).toBeLessThan(200);
    const restarted = await startCloud(ctx);
    const s3b = client(restarted);
    try {
      const got = await s3b.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'journal/same.txt' }));
      expect([await got.Body?.transformToString(), got.ContentType, got.ETag]).toEqual(['version 1099', 'text/x-version', md5('version 1099')]);
      expect((await s3b.send(new HeadObjectCommand({ Bucket: 'alpha', Key: 'journal/other.txt' }))).ContentType).toBe('text/x-other');
      await s3b.send(new DeleteObjectCommand({ Bucket: 'alpha', Key: 'journal/same.txt' }));
      await s3b.send(new DeleteObjectCommand({ Bucket: 'alpha', Key: 'journal/other.txt' }));
    } finally {
      s3b.destroy();
    }
  });

  it('reads the per-object metadata files an earlier version wrote, then drops them', async () => {
    fs.mkdirSync(path.join(dataDir, 's3', 'legacy'), { recursive: true });
    fs.writeFileSync(path.join(dataDir, 's3', 'legacy', 'old.txt'), 'old bytes');
    const stat = fs.statSync(path.join(dataDir, 's3', 'legacy', 'old.txt'));
    const sidecarDir = path.join(dataDir, 's3-meta', 'legacy');
    fs.mkdirSync(sidecarDir, { recursive: true });
    const sidecar = { key: 'old.txt', etag: md5('old bytes'), lastModified: Date.UTC(2025, 0, 2), size: stat.size, mtimeMs: stat.mtimeMs, headers: { 'content-type': 'text/x-old' }, checksums: {} };
    fs.writeFileSync(path.join(sidecarDir, `${createHash('sha1').update('old.txt').digest('hex')}.json`), JSON.stringify(sidecar));
    fs.mkdirSync(path.join(dataDir, 's3-buckets'), { recursive: true });
    fs.writeFileSync(path.join(dataDir, 's3-buckets', 'legacy.json'), JSON.stringify({ name: 'legacy', region: REGION, createdAt: 0 }));
    const restarted = await startCloud(ctx);
    const s3b = client(restarted);
    try {
      const head = await s3b.send(new HeadObjectCommand({ Bucket: 'legacy', Key: 'old.txt' }));
      expect([head.ContentType, head.LastModified?.toISOString()]).toEqual(['text/x-old', '2025-01-02T00:00:00.000Z']);
      expect(fs.existsSync(sidecarDir)).toBe(false);
    } finally {
      s3b.destroy();
    }
  });

  it('is reached path-style by a client without forcePathStyle, because the endpoint is an IP address', async () => {
    const plain = client(cloud, { forcePathStyle: undefined });
    try {
      cloud.requests.length = 0;
      const out = await plain.send(new ListObjectsV2Command({ Bucket: 'alpha', Prefix: 'notes/' }));
      expect(out.Contents?.map((o) => o.Key)).toEqual(['notes/hello.txt']);
      await plain.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'notes/hello.txt' }));
      expect(cloud.requests.map((r) => [r.headers.host, r.rawPath])).toEqual([
        [`127.0.0.1:${cloud.port}`, '/alpha/'],
        [`127.0.0.1:${cloud.port}`, '/alpha/notes/hello.txt'],
      ]);
    } finally {
      plain.destroy();
    }
  });
});
