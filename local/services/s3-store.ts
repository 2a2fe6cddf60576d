import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as z from 'zod/mini';
import { ServiceError } from '../core/service';
import { FileWriter } from './s3-writer';

/**
 * S3 objects as real files. `<root>/s3/<bucket>/<key>` holds an object's bytes, so a user can open a
 * recording with any player. What a file cannot carry (content type, user metadata, checksums, the
 * simulated LastModified) is kept in memory and in an append-only journal per bucket,
 * `<root>/s3-meta/<bucket>.jsonl` (one line per put or delete, read back at startup and compacted when
 * mostly superseded). A journal rather than a file per object: creating a file costs far more than
 * appending a line, and a capture writes an object every few simulated seconds per meeting.
 * The file tree is the truth about which keys exist: a file dropped in by hand is an object, and metadata
 * that no longer matches its file (edited by hand) is ignored in favour of metadata derived from the file.
 * One process owns a data directory at a time (bucket records are also read only at startup).
 *
 * A filesystem cannot hold every key S3 can, so keys with empty, `.` or `..` segments are refused (which
 * also keeps every path inside its bucket), and a key cannot be both a file and a folder (`a` and `a/b`).
 * A key ending in `/` (a console "folder") is a directory whose metadata marks it as an object.
 *
 * An object's bytes are written off the main thread (a temporary file renamed into place, so a reader never
 * sees half an object): file creation is the costliest step of a put, and a thousand captures flushing at
 * once must not stall every other request. Puts of the same key are applied in the order they were made.
 * Everything else (reads, listings, deletes, metadata) is synchronous and cheap.
 */
export interface StoredObject {
  key: string;
  size: number;
  /** Quoted MD5 hex, as S3 returns it. */
  etag: string;
  /** Epoch ms (simulated for objects written through S3). */
  lastModified: number;
  /** Response headers to replay: content-type, content-encoding, x-amz-meta-*, x-amz-server-side-encryption... */
  headers: Record<string, string>;
  /** Full-object checksums by header name (`x-amz-checksum-crc32`, ...). */
  checksums: Record<string, string>;
}

/** An object's metadata, as kept in memory and journaled. */
const Sidecar = z.object({
  key: z.string(),
  etag: z.string(),
  lastModified: z.number(),
  size: z.number(),
  /** The data file's mtime when written, to notice edits made outside S3. */
  mtimeMs: z.number(),
  headers: z.record(z.string(), z.string()),
  checksums: z.record(z.string(), z.string()),
});
type Sidecar = z.infer<typeof Sidecar>;

/** A journal line: a put (the object's metadata) or a delete. */
const JournalEntry = z.union([z.extend(Sidecar, { op: z.literal('put') }), z.object({ op: z.literal('delete'), key: z.string() })]);

/** A journal is rewritten once it holds this many lines and more than COMPACT_RATIO lines per live object. */
const COMPACT_MIN_LINES = 1000;
const COMPACT_RATIO = 4;

const DEFAULT_CONTENT_TYPE = 'binary/octet-stream';

// 3-63 characters, lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit.
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function isValidBucketName(name: string): boolean {
  return (
    BUCKET_NAME.test(name) &&
    !name.includes('..') &&
    !/^\d+\.\d+\.\d+\.\d+$/.test(name) &&
    !/^(xn--|sthree-|amzn-s3-demo-)/.test(name) &&
    !/(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/.test(name)
  );
}

function md5Etag(body: Buffer): string {
  return `"${createHash('md5').update(body).digest('hex')}"`;
}

interface BucketIndex {
  objects: Map<string, Sidecar>;
  /** Lines in the journal file (live and superseded). */
  lines: number;
}

export class ObjectStore {
  private readonly dataRoot: string;
  private readonly metaRoot: string;
  /** Bodies are written here first and renamed into place, so a reader never sees half an object. */
  private readonly tmpDir: string;
  /** Metadata by bucket, loaded from the journal on first use. */
  private readonly indexes = new Map<string, BucketIndex>();
  /** Writes object files off the main thread, in the order asked. */
  private readonly writer = new FileWriter();

  constructor(root: string) {
    this.dataRoot = path.join(root, 's3');
    this.metaRoot = path.join(root, 's3-meta');
    // Bucket names cannot start with a dot, so this never collides with a bucket's journal.
    this.tmpDir = path.join(this.metaRoot, '.tmp');
  }

  createBucket(bucket: string): void {
    fs.mkdirSync(this.bucketDir(bucket), { recursive: true });
  }

  removeBucket(bucket: string): void {
    fs.rmSync(this.bucketDir(bucket), { recursive: true, force: true });
    fs.rmSync(this.journalPath(bucket), { force: true });
    fs.rmSync(path.join(this.metaRoot, checkedBucket(bucket)), { recursive: true, force: true });
    this.indexes.delete(bucket);
  }

  /** The file (or, for a key ending in `/`, the directory) holding the object. */
  filePath(bucket: string, key: string): string {
    checkKey(key);
    return path.join(this.bucketDir(bucket), key);
  }

  /** `etag` defaults to the body's MD5 (a multipart object's is not: s3-copy.ts). */
  async put(bucket: string, key: string, body: Buffer, headers: Record<string, string>, checksums: Record<string, string>, now: number, etag = md5Etag(body)): Promise<StoredObject> {
    const file = this.filePath(bucket, key);
    const folder = key.endsWith('/');
    if (folder && body.length > 0) {
      throw new ServiceError('InvalidArgument', 400, `The local cloud stores keys ending in "/" as folders, which cannot hold data: ${key}`, { Key: key });
    }
    let mtimeMs = 0;
    try {
      if (folder) {
        fs.mkdirSync(file, { recursive: true });
      } else {
        ({ mtimeMs } = await this.writer.write(path.join(this.tmpDir, randomUUID()), file, body));
      }
    } catch (err) {
      if (isFsError(err, 'ENOTDIR', 'EEXIST', 'EISDIR')) {
        throw new ServiceError('InvalidArgument', 400, `The local cloud stores objects as files, and a key cannot be both a file and a folder of other keys (\`a\` and \`a/b\`): ${key}`, { Key: key });
      }
      throw err;
    }
    const sidecar: Sidecar = { key, etag, lastModified: now, size: body.length, mtimeMs, headers, checksums };
    this.record(bucket, sidecar);
    return stored(sidecar);
  }

  /** Object writes still on the writer thread. */
  get writesInFlight(): number {
    return this.writer.busy;
  }

  /** Lets every put made so far land, then stops the writer thread. */
  close(): Promise<void> {
    return this.writer.close();
  }

  head(bucket: string, key: string): StoredObject | undefined {
    const file = this.filePath(bucket, key);
    const stat = statOrUndefined(file);
    if (!stat) return undefined;
    const meta = this.index(bucket).objects.get(key);
    if (key.endsWith('/')) {
      // A directory is an object only when a folder object was put there.
      return stat.isDirectory() && meta ? stored(meta) : undefined;
    }
    if (!stat.isFile()) return undefined;
    if (meta && meta.size === stat.size && meta.mtimeMs === stat.mtimeMs) return stored(meta);
    return {
      key,
      size: stat.size,
      etag: md5Etag(fs.readFileSync(file)),
      lastModified: stat.mtimeMs,
      headers: { 'content-type': DEFAULT_CONTENT_TYPE },
      checksums: {},
    };
  }

  read(bucket: string, key: string): Buffer | undefined {
    if (!this.head(bucket, key)) return undefined;
    return key.endsWith('/') ? Buffer.alloc(0) : fs.readFileSync(this.filePath(bucket, key));
  }

  /** Deletes the object; true when it existed. Folders left empty are removed, as S3 has no folders. */
  delete(bucket: string, key: string): boolean {
    const existed = this.head(bucket, key) !== undefined;
    if (!existed) return false;
    const file = this.filePath(bucket, key);
    if (this.index(bucket).objects.has(key)) this.forget(bucket, key);
    if (key.endsWith('/')) {
      removeEmptyDir(file);
    } else {
      fs.rmSync(file, { force: true });
    }
    this.prune(bucket, key);
    return true;
  }

  /** Every key starting with `prefix`, in S3 order (UTF-8 bytes). */
  keys(bucket: string, prefix: string): string[] {
    const start = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    // A prefix whose folder part no valid key can have matches nothing (and must not leave the bucket).
    if (start && !isValidKey(start)) return [];
    const out: string[] = [];
    if (start && this.isFolderObject(bucket, start)) out.push(start);
    this.walk(bucket, start, out);
    return out.filter((k) => k.startsWith(prefix)).sort(compareKeys);
  }

  hasObjects(bucket: string): boolean {
    return this.keys(bucket, '').length > 0;
  }

  private walk(bucket: string, dirKey: string, out: string[]): void {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(path.join(this.bucketDir(bucket), dirKey), { withFileTypes: true });
    } catch (err) {
      if (isFsError(err, 'ENOENT', 'ENOTDIR')) return;
      throw err;
    }
    for (const entry of entries) {
      const key = dirKey + entry.name;
      if (entry.isFile()) {
        out.push(key);
      } else if (entry.isDirectory()) {
        if (this.isFolderObject(bucket, `${key}/`)) out.push(`${key}/`);
        this.walk(bucket, `${key}/`, out);
      }
    }
  }

  private isFolderObject(bucket: string, key: string): boolean {
    return this.index(bucket).objects.has(key);
  }

  /** Removes folders emptied by a delete, up to the bucket, keeping folder objects. */
  private prune(bucket: string, key: string): void {
    const segments = key.split('/').slice(0, -1);
    if (key.endsWith('/')) segments.pop();
    for (let n = segments.length; n > 0; n -= 1) {
      const folderKey = `${segments.slice(0, n).join('/')}/`;
      if (this.isFolderObject(bucket, folderKey) || !removeEmptyDir(path.join(this.bucketDir(bucket), folderKey))) return;
    }
  }

  // --- metadata journal ---------------------------------------------------------------------------

  private record(bucket: string, sidecar: Sidecar): void {
    const index = this.index(bucket);
    index.objects.set(sidecar.key, sidecar);
    this.append(bucket, index, { op: 'put', ...sidecar });
  }

  private forget(bucket: string, key: string): void {
    const index = this.index(bucket);
    index.objects.delete(key);
    this.append(bucket, index, { op: 'delete', key });
  }

  private append(bucket: string, index: BucketIndex, entry: z.infer<typeof JournalEntry>): void {
    const file = this.journalPath(bucket);
    withFolder(this.metaRoot, () => fs.appendFileSync(file, `${JSON.stringify(entry)}\n`));
    index.lines += 1;
    if (index.lines >= COMPACT_MIN_LINES && index.lines > COMPACT_RATIO * index.objects.size) this.compact(bucket, index);
  }

  /** Rewrites the journal with one line per live object. */
  private compact(bucket: string, index: BucketIndex): void {
    const lines = [...index.objects.values()].map((meta) => `${JSON.stringify({ op: 'put', ...meta })}\n`);
    const tmp = path.join(this.tmpDir, randomUUID());
    withFolder(this.tmpDir, () => fs.writeFileSync(tmp, lines.join('')));
    fs.renameSync(tmp, this.journalPath(bucket));
    index.lines = lines.length;
  }

  /** The bucket's metadata: its journal replayed, plus any per-object sidecar files an older version wrote. */
  private index(bucket: string): BucketIndex {
    const cached = this.indexes.get(bucket);
    if (cached) return cached;
    const index: BucketIndex = { objects: new Map(), lines: 0 };
    let text = '';
    try {
      text = fs.readFileSync(this.journalPath(bucket), 'utf8');
    } catch (err) {
      if (!isFsError(err, 'ENOENT')) throw err;
    }
    for (const line of text.split('\n')) {
      if (!line) continue;
      index.lines += 1;
      const entry = parseJson(line, JournalEntry);
      if (!entry) continue;
      if (entry.op === 'put') {
        const { op: _op, ...meta } = entry;
        index.objects.set(meta.key, meta);
      } else {
        index.objects.delete(entry.key);
      }
    }
    this.indexes.set(bucket, index);
    this.importSidecars(bucket, index);
    if (index.lines >= COMPACT_MIN_LINES && index.lines > COMPACT_RATIO * index.objects.size) this.compact(bucket, index);
    return index;
  }

  /** Moves `<meta>/<bucket>/<sha1 of key>.json` sidecars (the earlier layout) into the journal. */
  private importSidecars(bucket: string, index: BucketIndex): void {
    const dir = path.join(this.metaRoot, checkedBucket(bucket));
    let files: string[];
    try {
      files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
    } catch (err) {
      if (isFsError(err, 'ENOENT', 'ENOTDIR')) return;
      throw err;
    }
    for (const f of files) {
      let text = '';
      try {
        text = fs.readFileSync(path.join(dir, f), 'utf8');
      } catch {
        continue;
      }
      const meta = parseJson(text, Sidecar);
      if (meta && isStorableKey(meta.key) && !index.objects.has(meta.key)) this.record(bucket, meta);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }

  private journalPath(bucket: string): string {
    return path.join(this.metaRoot, `${checkedBucket(bucket)}.jsonl`);
  }

  private bucketDir(bucket: string): string {
    return path.join(this.dataRoot, checkedBucket(bucket));
  }

}

function parseJson<T>(text: string, schema: z.ZodMiniType<T>): T | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function stored(s: Sidecar): StoredObject {
  return { key: s.key, size: s.size, etag: s.etag, lastModified: s.lastModified, headers: s.headers, checksums: s.checksums };
}

/** S3 sorts keys by their UTF-8 bytes, which differs from JavaScript's UTF-16 order above U+FFFF. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

export function checkKey(key: string): void {
  if (key.length === 0) throw new ServiceError('InvalidArgument', 400, 'The object key must not be empty.');
  if (Buffer.byteLength(key) > 1024) throw new ServiceError('KeyTooLongError', 400, 'Your key is too long', { Key: key });
  if (!isValidKey(key)) {
    throw new ServiceError(
      'InvalidArgument',
      400,
      `The local cloud stores objects as files, so key segments cannot be empty, "." or "..", contain NUL, or exceed 255 bytes: ${key}`,
      { Key: key },
    );
  }
}

/** Whether a key can be stored here at all (a key that cannot be stored cannot exist). */
export function isStorableKey(key: string): boolean {
  return key.length > 0 && Buffer.byteLength(key) <= 1024 && isValidKey(key);
}

function isValidKey(key: string): boolean {
  const segments = key.split('/');
  return segments.every((s, i) => (s !== '' || i === segments.length - 1) && s !== '.' && s !== '..' && !s.includes('\0') && Buffer.byteLength(s) <= 255) && segments[0] !== '';
}

function checkedBucket(bucket: string): string {
  if (!isValidBucketName(bucket)) throw new ServiceError('InvalidBucketName', 400, 'The specified bucket is not valid.', { BucketName: bucket });
  return bucket;
}

/** Runs `write`, creating `folder` and retrying once when the write reports it missing. */
function withFolder(folder: string, write: () => void): void {
  try {
    write();
  } catch (err) {
    if (!isFsError(err, 'ENOENT')) throw err;
    fs.mkdirSync(folder, { recursive: true });
    write();
  }
}

function statOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch (err) {
    if (isFsError(err, 'ENOENT', 'ENOTDIR')) return undefined;
    throw err;
  }
}

/** rmdir that reports whether the directory is gone; a non-empty or missing one is left alone. */
function removeEmptyDir(dir: string): boolean {
  try {
    fs.rmdirSync(dir);
    return true;
  } catch (err) {
    if (isFsError(err, 'ENOENT')) return true;
    if (isFsError(err, 'ENOTEMPTY', 'EEXIST', 'ENOTDIR')) return false;
    throw err;
  }
}

// Duck-typed: Node's errors are not `instanceof Error` across realms (Jest's sandbox, for one).
export function isFsError(err: unknown, ...codes: string[]): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' && codes.includes(err.code);
}
