import { createHash, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as z from 'zod/mini';
import type { BucketInfo, CloudContext, S3Internal } from '../core/context';
import { ServiceError, type LocalRequest, type LocalResponse, type Service } from '../core/service';
import { checkCopyObjectSource, checkIfNoneMatch, checkPartNumber, copyPartRange, MIN_PART_BYTES, multipartEtag, noSuchUpload, parseCopySource, type CopySource } from './s3-copy';
import { readPayload } from './s3-payload';
import { checkPresigned, isPresigned } from './s3-presigned';
import { ObjectStore, checkKey, compareKeys, isFsError, isStorableKey, isValidBucketName, type StoredObject } from './s3-store';
import { S3_NAMESPACE, buildXml, child, list, malformedXml, parseXml, text } from './s3-xml';

/**
 * S3 (rest-xml, path-style addressing only: `/bucket` and `/bucket/key`). Objects are real files under
 * `<dataDir>/s3/` (see s3-store.ts); each bucket's configuration is `<dataDir>/s3-buckets/<bucket>.json`,
 * read back at startup so buckets, policies and recordings survive restarts. As on AWS, a bucket answers
 * only requests signed for its own region: others get 301 PermanentRedirect naming its region (body and
 * x-amz-bucket-region header), except GetBucketLocation, which answers anywhere.
 *
 * One deliberate simplification: a bucket has no default encryption or public access block until one is
 * put (AWS has applied SSE-S3 and Block Public Access to new buckets since 2023).
 *
 * A bucket whose notification configuration enables EventBridge publishes `Object Created` on the bus for
 * every object written, through a request or by another service (a capture's chunks), as S3 does.
 */
const Encryption = z.object({
  algorithm: z.enum(['AES256', 'aws:kms', 'aws:kms:dsse']),
  kmsKeyId: z.optional(z.string()),
  bucketKeyEnabled: z.optional(z.boolean()),
});
type Encryption = z.infer<typeof Encryption>;

const BucketRecord = z.object({
  name: z.string(),
  region: z.string(),
  createdAt: z.number(),
  policy: z.optional(z.string()),
  encryption: z.optional(Encryption),
  /** Lifecycle, public access block and notification documents, kept as the XML the client sent. */
  lifecycle: z.optional(z.string()),
  publicAccessBlock: z.optional(z.string()),
  notification: z.optional(z.string()),
  /** Simulated ms from which the bucket's events reach EventBridge (set when a configuration enables it). */
  eventBridgeFrom: z.optional(z.number()),
});
type BucketRecord = z.infer<typeof BucketRecord>;

const SSE_ALGORITHMS: readonly string[] = Encryption.shape.algorithm.options;
const DEFAULT_CONTENT_TYPE = 'binary/octet-stream';
const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d+$/;
const MAX_POLICY_BYTES = 20 * 1024;
const EVENTBRIDGE_ENABLE_DELAY_MS = 5 * 60_000;

/**
 * Query parameters that never select an operation: the SDK's `x-id` hint, presigned-URL signing, and the
 * `x-amz-*` headers a presigner hoists into the query (the SDK puts `x-amz-checksum-mode` on a GET).
 */
const NEUTRAL_PARAM = /^(x-id|x-amz-[a-z0-9-]+)$/i;
const LIST_BUCKETS_PARAMS = new Set(['max-buckets', 'continuation-token', 'prefix', 'bucket-region']);
const LIST_OBJECTS_PARAMS = new Set(['list-type', 'prefix', 'delimiter', 'max-keys', 'continuation-token', 'start-after', 'encoding-type', 'fetch-owner']);
/** Bucket operations by subresource (the one query parameter naming it) and method. */
const BUCKET_OPERATIONS = new Map<string, Record<string, string>>([
  ['', { PUT: 'CreateBucket', HEAD: 'HeadBucket', DELETE: 'DeleteBucket' }],
  ['location', { GET: 'GetBucketLocation' }],
  ['policy', { GET: 'GetBucketPolicy', PUT: 'PutBucketPolicy', DELETE: 'DeleteBucketPolicy' }],
  ['encryption', { GET: 'GetBucketEncryption', PUT: 'PutBucketEncryption', DELETE: 'DeleteBucketEncryption' }],
  ['lifecycle', { GET: 'GetBucketLifecycleConfiguration', PUT: 'PutBucketLifecycleConfiguration', DELETE: 'DeleteBucketLifecycle' }],
  ['publicAccessBlock', { GET: 'GetPublicAccessBlock', PUT: 'PutPublicAccessBlock', DELETE: 'DeletePublicAccessBlock' }],
  ['notification', { GET: 'GetBucketNotificationConfiguration', PUT: 'PutBucketNotificationConfiguration' }],
  ['delete', { POST: 'DeleteObjects' }],
]);
const OBJECT_OPERATIONS = new Map([
  ['GET', 'GetObject'],
  ['HEAD', 'HeadObject'],
  ['PUT', 'PutObject'],
  ['DELETE', 'DeleteObject'],
]);
/** A multipart upload in progress (kept in memory: a restart forgets it, as if it had been aborted). */
interface Upload {
  bucket: string;
  key: string;
  headers: Record<string, string>;
  parts: Map<number, { body: Buffer; etag: string }>;
}

/** Request headers PutObject keeps and GetObject/HeadObject return (besides content-type and x-amz-meta-*). */
const KEPT_HEADERS = ['content-disposition', 'content-language', 'cache-control', 'expires'];
const RESPONSE_OVERRIDES = ['content-type', 'content-disposition', 'content-language', 'content-encoding', 'cache-control', 'expires'];

export class S3Service implements Service, S3Internal {
  readonly name = 's3';
  readonly signingNames = ['s3'] as const;
  private readonly buckets = new Map<string, BucketRecord>();
  private readonly store: ObjectStore;
  private readonly bucketsDir: string;
  private readonly ownerId: string;
  private readonly uploads = new Map<string, Upload>();

  constructor(private readonly ctx: CloudContext) {
    this.store = new ObjectStore(ctx.dataDir);
    this.bucketsDir = path.join(ctx.dataDir, 's3-buckets');
    this.ownerId = createHash('sha256').update(`local-cloud:${ctx.account}`).digest('hex');
    this.load();
  }

  operation(req: LocalRequest): string | undefined {
    const { bucket, key } = target(req);
    const params = [...new Set(req.query.keys())].filter((p) => !NEUTRAL_PARAM.test(p));
    if (bucket === undefined) return req.method === 'GET' && params.every((p) => LIST_BUCKETS_PARAMS.has(p)) ? 'ListBuckets' : undefined;
    if (key === undefined) {
      if (req.query.get('list-type') === '2') return req.method === 'GET' && params.every((p) => LIST_OBJECTS_PARAMS.has(p)) ? 'ListObjectsV2' : undefined;
      if (params.length > 1) return undefined;
      return BUCKET_OPERATIONS.get(params[0] ?? '')?.[req.method];
    }
    // Copies and the multipart calls a copy of more than 5 GB needs are emulated; uploading parts (UploadPart),
    // listing uploads or parts, ACLs, tagging and the like are not: leave them unrouted, loudly.
    const copying = req.headers['x-amz-copy-source'] !== undefined;
    const only = (...names: string[]) => params.length === names.length && names.every((n) => params.includes(n));
    if (req.method === 'POST' && only('uploads')) return 'CreateMultipartUpload';
    if (req.method === 'POST' && only('uploadId')) return 'CompleteMultipartUpload';
    if (req.method === 'DELETE' && only('uploadId')) return 'AbortMultipartUpload';
    if (req.method === 'PUT' && only('partNumber', 'uploadId')) return copying ? 'UploadPartCopy' : undefined;
    const reading = req.method === 'GET' || req.method === 'HEAD';
    if (params.some((p) => !(reading && p.startsWith('response-')))) return undefined;
    if (req.method === 'PUT' && copying) return 'CopyObject';
    return OBJECT_OPERATIONS.get(req.method);
  }

  async handle(operation: string, req: LocalRequest): Promise<LocalResponse> {
    const response = await this.route(operation, req);
    return { ...response, headers: { ...requestIdHeaders(newRequestId()), ...response.headers } };
  }

  errorResponse(err: ServiceError): LocalResponse {
    const requestId = newRequestId();
    const extra = Object.fromEntries(Object.entries(err.extra).map(([k, v]) => [k, String(v)]));
    // A redirect names the bucket's region in a header too: what SDKs read to re-send the request there.
    const redirect: Record<string, string> = err.code === 'PermanentRedirect' ? { 'x-amz-bucket-region': this.requireBucket(extra.Bucket ?? '').region } : {};
    return {
      status: err.status,
      headers: { 'content-type': 'application/xml', ...requestIdHeaders(requestId), ...redirect },
      body: buildXml({ Error: { Code: err.code, Message: err.message, ...extra, RequestId: requestId } }),
    };
  }

  /** Object writes still landing (the capture writes chunks directly, not through a request). */
  get writesInFlight(): number {
    return this.store.writesInFlight;
  }

  /** Lets object writes in flight land before the data directory may be removed. */
  close(): Promise<void> {
    return this.store.close();
  }

  // --- S3Internal -------------------------------------------------------------------------------

  bucket(name: string): BucketInfo | undefined {
    const record = this.buckets.get(name);
    if (!record) return undefined;
    const { algorithm, kmsKeyId } = record.encryption ?? {};
    return { name, region: record.region, policy: record.policy, encryption: algorithm ? { algorithm, kmsKeyId } : undefined };
  }

  async putObject(bucket: string, key: string, body: Buffer | string, contentType?: string, requester = this.ctx.account): Promise<void> {
    const record = this.requireBucket(bucket);
    const headers = { 'content-type': contentType ?? DEFAULT_CONTENT_TYPE, ...this.encryptionHeaders(record, {}) };
    // Writes made by other emulators (a capture's chunks), outside any request: they hold simulated time too.
    const stored = await this.ctx.clock.track(this.store.put(bucket, key, typeof body === 'string' ? Buffer.from(body) : body, headers, {}, this.ctx.clock.now()));
    this.objectCreated(this.requireBucket(bucket), stored, requester, 'PutObject');
  }

  async getObject(bucket: string, key: string): Promise<Buffer | undefined> {
    return this.buckets.has(bucket) && isStorableKey(key) ? this.store.read(bucket, key) : undefined;
  }

  async listKeys(bucket: string, prefix: string): Promise<string[]> {
    return this.buckets.has(bucket) ? this.store.keys(bucket, prefix) : [];
  }

  filePath(bucket: string, key: string): string {
    return this.store.filePath(bucket, key);
  }

  // --- operations ---------------------------------------------------------------------------------

  private route(operation: string, req: LocalRequest): LocalResponse | Promise<LocalResponse> {
    // A presigned URL is judged (expired, malformed) before anything about its bucket (s3-presigned.ts).
    if (isPresigned(req)) checkPresigned(req, this.ctx.clock.now());
    const { bucket = '', key = '' } = target(req);
    const record = this.buckets.get(bucket);
    // A bucket answers only in its own region; GetBucketLocation (and creating one) answers anywhere.
    if (record && record.region !== req.region && operation !== 'GetBucketLocation' && operation !== 'CreateBucket') {
      throw new ServiceError('PermanentRedirect', 301, 'The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.', {
        Endpoint: `${bucket}.s3.${record.region}.amazonaws.com`,
        Bucket: bucket,
      });
    }
    switch (operation) {
      case 'ListBuckets':
        return this.listBuckets(req.query);
      case 'CreateBucket':
        return this.createBucket(bucket, req);
      case 'HeadBucket':
        return { status: 200, headers: { 'x-amz-bucket-region': this.requireBucket(bucket).region } };
      case 'DeleteBucket':
        return this.deleteBucket(bucket);
      case 'GetBucketLocation': {
        const { region } = this.requireBucket(bucket);
        // S3 reports us-east-1 as an empty constraint.
        return xmlResponse('LocationConstraint', { '#text': region === 'us-east-1' ? '' : region });
      }
      case 'PutBucketPolicy':
        return this.update(bucket, { policy: checkPolicy(readPayload(req).body.toString('utf8')) });
      case 'GetBucketPolicy': {
        const { policy } = this.requireBucket(bucket);
        if (policy === undefined) throw new ServiceError('NoSuchBucketPolicy', 404, 'The bucket policy does not exist', { BucketName: bucket });
        return { status: 200, headers: { 'content-type': 'application/json' }, body: policy };
      }
      case 'DeleteBucketPolicy':
        return this.update(bucket, { policy: undefined });
      case 'PutBucketEncryption':
        return this.update(bucket, { encryption: parseEncryption(readPayload(req).body) }, 200);
      case 'GetBucketEncryption':
        return this.getEncryption(bucket);
      case 'DeleteBucketEncryption':
        return this.update(bucket, { encryption: undefined });
      case 'PutBucketLifecycleConfiguration':
        return this.update(bucket, { lifecycle: checkedDocument(readPayload(req).body, 'LifecycleConfiguration', 'Rule') }, 200);
      case 'GetBucketLifecycleConfiguration':
        return storedDocument(this.requireBucket(bucket).lifecycle, 'NoSuchLifecycleConfiguration', 'The lifecycle configuration does not exist', bucket);
      case 'DeleteBucketLifecycle':
        return this.update(bucket, { lifecycle: undefined });
      case 'PutPublicAccessBlock':
        return this.update(bucket, { publicAccessBlock: checkedDocument(readPayload(req).body, 'PublicAccessBlockConfiguration') }, 200);
      case 'GetPublicAccessBlock':
        return storedDocument(this.requireBucket(bucket).publicAccessBlock, 'NoSuchPublicAccessBlockConfiguration', 'The public access block configuration was not found', bucket);
      case 'DeletePublicAccessBlock':
        return this.update(bucket, { publicAccessBlock: undefined });
      case 'PutBucketNotificationConfiguration':
        return this.putNotification(bucket, readPayload(req).body);
      case 'GetBucketNotificationConfiguration':
        // A bucket without one answers an empty configuration (not an error).
        return { status: 200, headers: { 'content-type': 'application/xml' }, body: this.requireBucket(bucket).notification ?? buildXml({ NotificationConfiguration: { '@_xmlns': S3_NAMESPACE } }) };
      case 'ListObjectsV2':
        return this.listObjects(bucket, req.query);
      case 'DeleteObjects':
        return this.deleteObjects(bucket, req);
      case 'PutObject':
        return this.putObjectRequest(bucket, key, req);
      case 'GetObject':
        return this.getObjectRequest(bucket, key, req, true);
      case 'HeadObject':
        return this.getObjectRequest(bucket, key, req, false);
      case 'CopyObject':
        return this.copyObject(bucket, key, req);
      case 'CreateMultipartUpload':
        return this.createMultipartUpload(bucket, key, req);
      case 'UploadPartCopy':
        return this.uploadPartCopy(bucket, key, req);
      case 'CompleteMultipartUpload':
        return this.completeMultipartUpload(bucket, key, req);
      case 'AbortMultipartUpload':
        this.requireUpload(bucket, key, req.query.get('uploadId') ?? '');
        this.uploads.delete(req.query.get('uploadId') ?? '');
        return { status: 204 };
      case 'DeleteObject':
        this.requireBucket(bucket);
        if (isStorableKey(key)) this.store.delete(bucket, key);
        return { status: 204 };
      default:
        throw new ServiceError('NotImplemented', 501, `The local cloud does not implement S3 ${operation}.`);
    }
  }

  private listBuckets(query: URLSearchParams): LocalResponse {
    const prefix = query.get('prefix') ?? '';
    const region = query.get('bucket-region');
    const max = intParam(query, 'max-buckets', 10_000, 1, 10_000);
    const after = decodeToken(query.get('continuation-token'));
    const matching = [...this.buckets.values()]
      .filter((b) => b.name.startsWith(prefix) && (!region || b.region === region) && compareKeys(b.name, after) > 0)
      .sort((a, b) => compareKeys(a.name, b.name));
    const page = matching.slice(0, max);
    const last = page.at(-1);
    return xmlResponse('ListAllMyBucketsResult', {
      Owner: { ID: this.ownerId },
      Buckets: { Bucket: page.map((b) => ({ Name: b.name, CreationDate: iso(b.createdAt), BucketRegion: b.region })) },
      ContinuationToken: matching.length > max && last ? encodeToken(last.name) : undefined,
      Prefix: query.has('prefix') ? prefix : undefined,
    });
  }

  private createBucket(name: string, req: LocalRequest): LocalResponse {
    if (!isValidBucketName(name)) throw new ServiceError('InvalidBucketName', 400, 'The specified bucket is not valid.', { BucketName: name });
    const body = readPayload(req).body;
    const constraint = body.length > 0 ? text(child(parseXml(body, 'CreateBucketConfiguration'), 'LocationConstraint')) : undefined;
    // S3 still accepts the legacy name EU for eu-west-1; us-east-1 is named by sending no constraint.
    const region = !constraint ? 'us-east-1' : constraint === 'EU' ? 'eu-west-1' : constraint;
    if (constraint === 'us-east-1' || !REGION.test(region)) {
      throw new ServiceError('InvalidLocationConstraint', 400, 'The specified location-constraint is not valid', { LocationConstraint: constraint ?? '' });
    }
    const owned = this.buckets.get(name);
    // "Amazon S3 returns this error in all AWS Regions except in the North Virginia Region. For legacy
    // compatibility, if you re-create an existing bucket that you already own in the North Virginia Region,
    // Amazon S3 returns 200 OK" (CreateBucket, API reference, BucketAlreadyOwnedByYou).
    if (owned && owned.region === 'us-east-1' && region === 'us-east-1') return { status: 200, headers: { location: `/${name}` } };
    if (owned) {
      throw new ServiceError('BucketAlreadyOwnedByYou', 409, 'Your previous request to create the named bucket succeeded and you already own it.', { BucketName: name });
    }
    const record: BucketRecord = { name, region, createdAt: this.ctx.clock.now() };
    this.store.createBucket(name);
    this.save(record);
    return { status: 200, headers: { location: `/${name}`, 'x-amz-bucket-arn': `arn:aws:s3:::${name}` } };
  }

  private deleteBucket(name: string): LocalResponse {
    this.requireBucket(name);
    if (this.store.hasObjects(name)) throw new ServiceError('BucketNotEmpty', 409, 'The bucket you tried to delete is not empty', { BucketName: name });
    this.store.removeBucket(name);
    fs.rmSync(this.recordPath(name), { force: true });
    this.buckets.delete(name);
    return { status: 204 };
  }

  private getEncryption(bucket: string): LocalResponse {
    const { encryption } = this.requireBucket(bucket);
    if (!encryption) {
      throw new ServiceError('ServerSideEncryptionConfigurationNotFoundError', 404, 'The server side encryption configuration was not found', { BucketName: bucket });
    }
    return xmlResponse('ServerSideEncryptionConfiguration', {
      Rule: {
        ApplyServerSideEncryptionByDefault: { SSEAlgorithm: encryption.algorithm, KMSMasterKeyID: encryption.kmsKeyId },
        BucketKeyEnabled: encryption.bucketKeyEnabled ?? false,
      },
    });
  }

  private listObjects(bucket: string, query: URLSearchParams): LocalResponse {
    this.requireBucket(bucket);
    const prefix = query.get('prefix') ?? '';
    const delimiter = query.get('delimiter') ?? '';
    const maxKeys = Math.min(intParam(query, 'max-keys', 1000, 0, 2 ** 31 - 1), 1000);
    const encodingType = query.get('encoding-type');
    if (encodingType !== null && encodingType !== 'url') throw new ServiceError('InvalidArgument', 400, 'Invalid Encoding Method specified in Request');
    const token = query.get('continuation-token');
    const startAfter = query.get('start-after');
    const marker = token !== null ? decodeToken(token) : startAfter ?? '';
    const enc = (s: string) => (encodingType === 'url' ? encodeURIComponent(s) : s);

    // Keys and common prefixes share one ordered sequence; the token is the last name returned.
    const entries: Array<{ key: string } | { commonPrefix: string }> = [];
    let lastPrefix: string | undefined;
    for (const key of this.store.keys(bucket, prefix)) {
      const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
      const name = cut >= 0 ? key.slice(0, cut + delimiter.length) : key;
      if (compareKeys(name, marker) <= 0 || name === lastPrefix) continue;
      if (entries.length === maxKeys) {
        entries.push({ key: name });
        break;
      }
      if (cut >= 0) {
        lastPrefix = name;
        entries.push({ commonPrefix: name });
      } else {
        entries.push({ key });
      }
    }
    const truncated = entries.length > maxKeys;
    const page = entries.slice(0, maxKeys);
    const lastEntry = page.at(-1);
    const objects = page.flatMap((e) => ('key' in e ? [this.store.head(bucket, e.key)].filter((o): o is StoredObject => o !== undefined) : []));
    return xmlResponse('ListBucketResult', {
      Name: bucket,
      Prefix: enc(prefix),
      Delimiter: delimiter ? enc(delimiter) : undefined,
      MaxKeys: maxKeys,
      EncodingType: encodingType ?? undefined,
      KeyCount: page.length,
      IsTruncated: truncated,
      ContinuationToken: token ?? undefined,
      NextContinuationToken: truncated && lastEntry ? encodeToken('key' in lastEntry ? lastEntry.key : lastEntry.commonPrefix) : undefined,
      StartAfter: startAfter !== null ? enc(startAfter) : undefined,
      Contents: objects.map((o) => ({
        Key: enc(o.key),
        LastModified: iso(o.lastModified),
        ETag: o.etag,
        ChecksumAlgorithm: Object.keys(o.checksums).map((h) => h.slice('x-amz-checksum-'.length).toUpperCase()),
        ChecksumType: Object.keys(o.checksums).length > 0 ? 'FULL_OBJECT' : undefined,
        Size: o.size,
        StorageClass: 'STANDARD',
        Owner: query.get('fetch-owner') === 'true' ? { ID: this.ownerId } : undefined,
      })),
      CommonPrefixes: page.flatMap((e) => ('commonPrefix' in e ? [{ Prefix: enc(e.commonPrefix) }] : [])),
    });
  }

  private deleteObjects(bucket: string, req: LocalRequest): LocalResponse {
    this.requireBucket(bucket);
    const root = parseXml(readPayload(req).body, 'Delete');
    const objects = list(child(root, 'Object'));
    if (objects.length > 1000) throw malformedXml();
    const quiet = text(child(root, 'Quiet')) === 'true';
    const deleted: Array<{ Key: string }> = [];
    const errors: Array<{ Key: string; Code: string; Message: string }> = [];
    for (const object of objects) {
      const key = text(child(object, 'Key'));
      if (key === undefined) throw malformedXml();
      try {
        checkKey(key);
        this.store.delete(bucket, key);
        if (!quiet) deleted.push({ Key: key });
      } catch (err) {
        if (!(err instanceof ServiceError)) throw err;
        errors.push({ Key: key, Code: err.code, Message: err.message });
      }
    }
    return xmlResponse('DeleteResult', { Deleted: deleted, Error: errors });
  }

  private async putObjectRequest(bucket: string, key: string, req: LocalRequest): Promise<LocalResponse> {
    const record = this.requireBucket(bucket);
    checkKey(key);
    const payload = readPayload(req);
    const headers = objectHeaders(req.headers);
    if (payload.contentEncoding) headers['content-encoding'] = payload.contentEncoding;
    const encryption = this.encryptionHeaders(record, req.headers);
    const stored = await this.store.put(bucket, key, payload.body, { ...headers, ...encryption }, payload.checksums, this.ctx.clock.now());
    this.objectCreated(record, stored, this.ctx.account, 'PutObject');
    return { status: 200, headers: { etag: stored.etag, ...encryption, ...stored.checksums } };
  }

  /**
   * CopyObject: a source of at most 5 GB (s3-copy.ts), its metadata kept (x-amz-metadata-directive COPY,
   * the default) or replaced by the request's (REPLACE); the copy is encrypted as a new object would be
   * (the request's SSE headers, else the destination bucket's default). The answer is a CopyObjectResult.
   * A copy's ETag is its content's MD5 (a multipart source becomes a single-part copy). Checksums are
   * not carried over.
   */
  private async copyObject(bucket: string, key: string, req: LocalRequest): Promise<LocalResponse> {
    const record = this.requireBucket(bucket);
    checkKey(key);
    refuseCopyConditions(req);
    const from = parseCopySource(req.headers['x-amz-copy-source'] ?? '');
    const source = this.requireSource(from);
    checkCopyObjectSource(source.object.size);
    const directive = req.headers['x-amz-metadata-directive'] ?? 'COPY';
    if (directive !== 'COPY' && directive !== 'REPLACE') throw new ServiceError('InvalidArgument', 400, 'Unknown metadata directive.', { ArgumentName: 'x-amz-metadata-directive', ArgumentValue: directive });
    const encryptionChange = req.headers['x-amz-server-side-encryption'] !== undefined;
    if (from.bucket === bucket && from.key === key && directive === 'COPY' && !encryptionChange) {
      throw new ServiceError(
        'InvalidRequest',
        400,
        "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
      );
    }
    checkIfNoneMatch(req.headers['if-none-match'], this.store.head(bucket, key) !== undefined);
    const kept = directive === 'COPY' ? sourceMetadata(source.object.headers) : objectHeaders(req.headers);
    const encryption = this.encryptionHeaders(record, req.headers);
    const stored = await this.store.put(bucket, key, source.body, { ...kept, ...encryption }, {}, this.ctx.clock.now());
    this.objectCreated(record, stored, this.ctx.account, 'CopyObject');
    return { ...xmlResponse('CopyObjectResult', { LastModified: iso(stored.lastModified), ETag: stored.etag }), headers: { 'content-type': 'application/xml', ...encryption } };
  }

  private createMultipartUpload(bucket: string, key: string, req: LocalRequest): LocalResponse {
    const record = this.requireBucket(bucket);
    checkKey(key);
    const encryption = this.encryptionHeaders(record, req.headers);
    const uploadId = randomBytes(32).toString('base64url');
    this.uploads.set(uploadId, { bucket, key, headers: { ...objectHeaders(req.headers), ...encryption }, parts: new Map() });
    return { ...xmlResponse('InitiateMultipartUploadResult', { Bucket: bucket, Key: key, UploadId: uploadId }), headers: { 'content-type': 'application/xml', ...encryption } };
  }

  /** A part copied from (a range of) an object; the same part number again replaces the part. */
  private uploadPartCopy(bucket: string, key: string, req: LocalRequest): LocalResponse {
    this.requireBucket(bucket);
    const upload = this.requireUpload(bucket, key, req.query.get('uploadId') ?? '');
    const partNumber = checkPartNumber(req.query.get('partNumber'));
    refuseCopyConditions(req);
    const source = this.requireSource(parseCopySource(req.headers['x-amz-copy-source'] ?? ''));
    const { start, end } = copyPartRange(req.headers['x-amz-copy-source-range'], source.object.size);
    const body = Buffer.from(source.body.subarray(start, end + 1));
    const etag = `"${createHash('md5').update(body).digest('hex')}"`;
    upload.parts.set(partNumber, { body, etag });
    return xmlResponse('CopyPartResult', { ETag: etag, LastModified: iso(this.ctx.clock.now()) });
  }

  /**
   * Joins the listed parts (in ascending part number order, each named with the ETag its upload
   * answered; every part but the last at least 5 MiB) into the object; parts uploaded but not listed
   * are discarded. Errors as the API reference lists them: MalformedXML (no parts), InvalidPartOrder,
   * InvalidPart, EntityTooSmall, NoSuchUpload, and 412 for If-None-Match: * on an existing key.
   */
  private async completeMultipartUpload(bucket: string, key: string, req: LocalRequest): Promise<LocalResponse> {
    const record = this.requireBucket(bucket);
    const uploadId = req.query.get('uploadId') ?? '';
    const upload = this.requireUpload(bucket, key, uploadId);
    const listed = list(child(parseXml(readPayload(req).body, 'CompleteMultipartUpload'), 'Part')).map((p) => ({ number: Number(text(child(p, 'PartNumber'))), etag: text(child(p, 'ETag')) ?? '' }));
    if (listed.length === 0 || listed.some((p) => !Number.isInteger(p.number))) throw malformedXml();
    const unquote = (etag: string) => etag.replace(/"/g, '');
    const parts = listed.map((p, i) => {
      if (i > 0 && p.number <= listed[i - 1]!.number) {
        throw new ServiceError('InvalidPartOrder', 400, 'The list of parts was not in ascending order. The parts list must be specified in order by part number.', { UploadId: uploadId });
      }
      const part = upload.parts.get(p.number);
      if (!part || unquote(part.etag) !== unquote(p.etag)) {
        throw new ServiceError('InvalidPart', 400, "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not have matched the part's entity tag.", {
          UploadId: uploadId,
          PartNumber: p.number,
          ETag: p.etag,
        });
      }
      return part;
    });
    parts.forEach((part, i) => {
      if (i < parts.length - 1 && part.body.length < MIN_PART_BYTES) {
        throw new ServiceError('EntityTooSmall', 400, 'Your proposed upload is smaller than the minimum allowed size', { ProposedSize: part.body.length, MinSizeAllowed: MIN_PART_BYTES, PartNumber: listed[i]!.number, ETag: part.etag });
      }
    });
    checkIfNoneMatch(req.headers['if-none-match'], this.store.head(bucket, key) !== undefined);
    const body = Buffer.concat(parts.map((p) => p.body));
    const stored = await this.store.put(bucket, key, body, upload.headers, {}, this.ctx.clock.now(), multipartEtag(parts.map((p) => p.etag)));
    this.uploads.delete(uploadId);
    this.objectCreated(record, stored, this.ctx.account, 'CompleteMultipartUpload');
    const encryption = Object.fromEntries(Object.entries(upload.headers).filter(([name]) => name.startsWith('x-amz-server-side-encryption')));
    return {
      ...xmlResponse('CompleteMultipartUploadResult', { Location: `https://${bucket}.s3.${record.region}.amazonaws.com/${encodeURIComponent(key).replace(/%2F/g, '/')}`, Bucket: bucket, Key: key, ETag: stored.etag }),
      headers: { 'content-type': 'application/xml', ...encryption },
    };
  }

  private requireUpload(bucket: string, key: string, uploadId: string): Upload {
    const upload = this.uploads.get(uploadId);
    if (!upload || upload.bucket !== bucket || upload.key !== key) throw noSuchUpload(uploadId);
    return upload;
  }

  /** A copy's source object and its bytes (NoSuchBucket, NoSuchKey when missing). */
  private requireSource(from: CopySource): { object: StoredObject; body: Buffer } {
    this.requireBucket(from.bucket);
    const object = isStorableKey(from.key) ? this.store.head(from.bucket, from.key) : undefined;
    const body = object && this.store.read(from.bucket, from.key);
    if (!object || !body) throw new ServiceError('NoSuchKey', 404, 'The specified key does not exist.', { Key: from.key });
    return { object, body };
  }

  /**
   * Enables or disables EventBridge delivery (the configuration's EventBridgeConfiguration element);
   * "After you enable EventBridge, it takes around five minutes for the changes to take effect" (Enabling
   * Amazon EventBridge, S3 User Guide). Other destinations (SNS, SQS, Lambda) are kept but not delivered.
   */
  private putNotification(bucket: string, body: Buffer): LocalResponse {
    const record = this.requireBucket(bucket);
    const doc = parseXml(body, 'NotificationConfiguration');
    const enabled = child(doc, 'EventBridgeConfiguration') !== undefined;
    const eventBridgeFrom = enabled ? (record.eventBridgeFrom ?? this.ctx.clock.now() + EVENTBRIDGE_ENABLE_DELAY_MS) : undefined;
    return this.update(bucket, { notification: body.toString('utf8'), eventBridgeFrom }, 200);
  }

  /**
   * `Object Created` on the bus, in the shape of the S3 User Guide's "EventBridge event message structure"
   * (test/fixtures/aws-examples): the requester is the account for a request, the service principal when
   * another service wrote the object.
   */
  private objectCreated(record: BucketRecord, stored: StoredObject, requester: string, reason: 'PutObject' | 'CopyObject' | 'CompleteMultipartUpload'): void {
    if (record.eventBridgeFrom === undefined || this.ctx.clock.now() < record.eventBridgeFrom) return;
    this.ctx.bus.put([
      {
        source: 'aws.s3',
        'detail-type': 'Object Created',
        region: record.region,
        resources: [`arn:aws:s3:::${record.name}`],
        detail: {
          version: '0',
          bucket: { name: record.name },
          // Hexadecimal: whole milliseconds (simulated time moves by fractions after a jittered delay).
          object: { key: stored.key, size: stored.size, etag: stored.etag.replace(/"/g, ''), sequencer: Math.floor(this.ctx.clock.now()).toString(16).toUpperCase().padStart(16, '0') },
          'request-id': newRequestId(),
          requester,
          reason,
        },
      },
    ]);
  }

  private getObjectRequest(bucket: string, key: string, req: LocalRequest, withBody: boolean): LocalResponse {
    this.requireBucket(bucket);
    const object = isStorableKey(key) ? this.store.head(bucket, key) : undefined;
    // The HTTP front derives Content-Length from the body and never sends a body for HEAD, so HEAD gets a stand-in.
    const body = object && (withBody ? this.store.read(bucket, key) : Buffer.alloc(object.size));
    if (!object || !body) throw new ServiceError('NoSuchKey', 404, 'The specified key does not exist.', { Key: key });
    const headers: Record<string, string> = {
      ...object.headers,
      etag: object.etag,
      'last-modified': new Date(object.lastModified).toUTCString(),
      'accept-ranges': 'bytes',
    };
    for (const name of RESPONSE_OVERRIDES) {
      const value = req.query.get(`response-${name}`);
      if (value !== null) headers[name] = value;
    }
    const range = parseRange(req.headers.range, object.size);
    if (range) {
      headers['content-range'] = `bytes ${range.start}-${range.end}/${object.size}`;
      return { status: 206, headers, body: body.subarray(range.start, range.end + 1) };
    }
    if (req.headers['x-amz-checksum-mode'] === 'ENABLED' && Object.keys(object.checksums).length > 0) {
      Object.assign(headers, object.checksums, { 'x-amz-checksum-type': 'FULL_OBJECT' });
    }
    return { status: 200, headers, body };
  }

  // --- state --------------------------------------------------------------------------------------

  private requireBucket(name: string): BucketRecord {
    const record = this.buckets.get(name);
    if (!record) throw new ServiceError('NoSuchBucket', 404, 'The specified bucket does not exist', { BucketName: name });
    return record;
  }

  private update(bucket: string, change: Partial<BucketRecord>, status = 204): LocalResponse {
    this.save({ ...this.requireBucket(bucket), ...change });
    return { status };
  }

  /** The SSE headers an object written now gets: the request's choice, else the bucket default. */
  private encryptionHeaders(record: BucketRecord, requestHeaders: Record<string, string>): Record<string, string> {
    const requested = requestHeaders['x-amz-server-side-encryption'];
    if (requested !== undefined && !SSE_ALGORITHMS.includes(requested)) {
      throw new ServiceError('InvalidArgument', 400, 'The encryption method specified is not supported', { ArgumentName: 'x-amz-server-side-encryption', ArgumentValue: requested });
    }
    const fromBucket = requested === undefined ? record.encryption : undefined;
    const algorithm = requested ?? fromBucket?.algorithm;
    if (!algorithm) return {};
    const headers: Record<string, string> = { 'x-amz-server-side-encryption': algorithm };
    if (algorithm !== 'AES256') {
      headers['x-amz-server-side-encryption-aws-kms-key-id'] =
        requestHeaders['x-amz-server-side-encryption-aws-kms-key-id'] ?? fromBucket?.kmsKeyId ?? `arn:aws:kms:${record.region}:${this.ctx.account}:alias/aws/s3`;
    }
    if (fromBucket?.bucketKeyEnabled) headers['x-amz-server-side-encryption-bucket-key-enabled'] = 'true';
    return headers;
  }

  private load(): void {
    let files: string[];
    try {
      files = fs.readdirSync(this.bucketsDir).filter((f) => f.endsWith('.json'));
    } catch (err) {
      if (isFsError(err, 'ENOENT')) return;
      throw err;
    }
    for (const file of files) {
      const full = path.join(this.bucketsDir, file);
      let parsed: unknown;
      try {
        parsed = JSON.parse(fs.readFileSync(full, 'utf8'));
      } catch {
        parsed = undefined;
      }
      const record = BucketRecord.safeParse(parsed);
      if (!record.success || `${record.data.name}.json` !== file || !isValidBucketName(record.data.name)) {
        throw new Error(`${full} is not a bucket record the local cloud can read; fix or delete it`);
      }
      this.buckets.set(record.data.name, record.data);
    }
  }

  private save(record: BucketRecord): void {
    fs.mkdirSync(this.bucketsDir, { recursive: true });
    const file = this.recordPath(record.name);
    const tmp = `${file}.${randomUUID()}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(record, null, 2));
    fs.renameSync(tmp, file);
    this.buckets.set(record.name, record);
  }

  private recordPath(name: string): string {
    return path.join(this.bucketsDir, `${name}.json`);
  }
}

/** The metadata a write keeps from its request: content type, KEPT_HEADERS and x-amz-meta-*. */
function objectHeaders(requestHeaders: Record<string, string>): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': requestHeaders['content-type'] ?? DEFAULT_CONTENT_TYPE };
  for (const name of KEPT_HEADERS) {
    const value = requestHeaders[name];
    if (value !== undefined) headers[name] = value;
  }
  for (const [name, value] of Object.entries(requestHeaders)) if (name.startsWith('x-amz-meta-')) headers[name] = value;
  return headers;
}

/** What a copy keeps of its source's metadata (not its encryption: the copy is encrypted anew). */
function sourceMetadata(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !name.startsWith('x-amz-server-side-encryption')));
}

/** Copy-source conditions (x-amz-copy-source-if-*) are not emulated; ignoring one would copy what the caller ruled out. */
function refuseCopyConditions(req: LocalRequest): void {
  const condition = Object.keys(req.headers).find((h) => h.startsWith('x-amz-copy-source-if-'));
  if (condition) throw new ServiceError('NotImplemented', 501, `The local cloud does not emulate ${condition}.`, { Header: condition });
}

/** Bucket and key from a path-style request path (`/bucket`, `/bucket/key...`). */
function target(req: LocalRequest): { bucket?: string; key?: string } {
  const raw = req.rawPath.slice(1);
  if (!raw) return {};
  const slash = raw.indexOf('/');
  if (slash < 0 || slash === raw.length - 1) return { bucket: safeDecode(slash < 0 ? raw : raw.slice(0, slash)) };
  return { bucket: safeDecode(raw.slice(0, slash)), key: safeDecode(raw.slice(slash + 1)) };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function xmlResponse(root: string, content: Record<string, unknown>): LocalResponse {
  return { status: 200, headers: { 'content-type': 'application/xml' }, body: buildXml({ [root]: { '@_xmlns': S3_NAMESPACE, ...content } }) };
}

function checkPolicy(policy: string): string {
  if (Buffer.byteLength(policy) > MAX_POLICY_BYTES) throw new ServiceError('MalformedPolicy', 400, 'Policy exceeds the maximum allowed document size.');
  let doc: unknown;
  try {
    doc = JSON.parse(policy);
  } catch {
    doc = undefined;
  }
  if (!policy.trimStart().startsWith('{') || typeof doc !== 'object' || doc === null) {
    throw new ServiceError('MalformedPolicy', 400, "Policies must be valid JSON and the first byte must be '{'");
  }
  const statement: unknown = 'Statement' in doc ? doc.Statement : undefined;
  if (statement === undefined || (Array.isArray(statement) && statement.length === 0)) {
    throw new ServiceError('MalformedPolicy', 400, 'Missing required field Statement');
  }
  return policy;
}

function parseEncryption(body: Buffer): Encryption {
  const rules = list(child(parseXml(body, 'ServerSideEncryptionConfiguration'), 'Rule'));
  const rule = rules[0];
  if (rules.length !== 1 || rule === undefined) throw malformedXml();
  const byDefault = child(rule, 'ApplyServerSideEncryptionByDefault');
  const algorithm = Encryption.shape.algorithm.safeParse(text(child(byDefault, 'SSEAlgorithm')));
  if (!algorithm.success) throw malformedXml();
  const kmsKeyId = text(child(byDefault, 'KMSMasterKeyID')) || undefined;
  if (kmsKeyId && algorithm.data === 'AES256') {
    throw new ServiceError('InvalidArgument', 400, 'a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse');
  }
  return { algorithm: algorithm.data, kmsKeyId, bucketKeyEnabled: text(child(rule, 'BucketKeyEnabled')) === 'true' };
}

/** Checks a configuration document's root (and a required child) and returns it as sent. */
function checkedDocument(body: Buffer, root: string, requiredChild?: string): string {
  const doc = parseXml(body, root);
  if (requiredChild && list(child(doc, requiredChild)).length === 0) throw malformedXml();
  return body.toString('utf8');
}

function storedDocument(doc: string | undefined, missingCode: string, message: string, bucket: string): LocalResponse {
  if (doc === undefined) throw new ServiceError(missingCode, 404, message, { BucketName: bucket });
  return { status: 200, headers: { 'content-type': 'application/xml' }, body: doc };
}

/** A single `bytes=` range, or undefined to send the whole object (as S3 does for what it cannot parse). */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? '');
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  const [first, last] = [match[1] ?? '', match[2] ?? ''];
  const start = first === '' ? Math.max(0, size - Number(last)) : Number(first);
  const end = first === '' || last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (start >= size || start > end || (first === '' && Number(last) === 0)) {
    throw new ServiceError('InvalidRange', 416, 'The requested range is not satisfiable', { RangeRequested: header ?? '', ActualObjectSize: size });
  }
  return { start, end };
}

function intParam(query: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = query.get(name);
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new ServiceError('InvalidArgument', 400, `Provided ${name} not an integer or within integer range`, { ArgumentName: name, ArgumentValue: raw });
  }
  return value;
}

/** Continuation tokens are opaque to clients; here they carry the last name returned. */
function encodeToken(name: string): string {
  return Buffer.from(name, 'utf8').toString('base64');
}

function decodeToken(token: string | null): string {
  if (token === null) return '';
  const name = Buffer.from(token, 'base64').toString('utf8');
  if (encodeToken(name) !== token) throw new ServiceError('InvalidArgument', 400, 'The continuation token provided is incorrect', { ArgumentName: 'continuation-token' });
  return name;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function newRequestId(): string {
  return randomBytes(8).toString('hex').toUpperCase();
}

function requestIdHeaders(requestId: string): Record<string, string> {
  return { 'x-amz-request-id': requestId, 'x-amz-id-2': randomBytes(24).toString('base64') };
}
