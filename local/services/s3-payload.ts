import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import { ServiceError, type LocalRequest } from '../core/service';

/**
 * The bytes an S3 request carries, as S3 stores them. SDK v3 and the CLI send flexible checksums, either as
 * `x-amz-checksum-*` headers or, for streamed bodies, as trailers of an `aws-chunked` body:
 *
 *   <hex size>[;chunk-signature=<sig>]\r\n<bytes>\r\n ... 0[;chunk-signature=<sig>]\r\n
 *   x-amz-checksum-crc32:<base64>\r\n[x-amz-trailer-signature:<sig>\r\n]\r\n
 *
 * The framing is removed and every checksum Node can compute (CRC32, SHA-1/256/512, MD5, Content-MD5, a hex
 * x-amz-content-sha256) is verified, so a decoding mistake fails loudly as BadDigest instead of silently
 * storing a corrupt recording. CRC32C, CRC64NVME and the xxHash variants are kept as sent (no Node built-in).
 * Chunk and trailer signatures are not verified: the local cloud trusts its own machine.
 */
export interface Payload {
  body: Buffer;
  /** Full-object checksums by header name, e.g. `x-amz-checksum-crc32`. */
  checksums: Record<string, string>;
  /** Content-Encoding without `aws-chunked`, if anything remains (e.g. `gzip`). */
  contentEncoding?: string;
}

const CHECKSUM_HEADERS = [
  'x-amz-checksum-crc32',
  'x-amz-checksum-crc32c',
  'x-amz-checksum-crc64nvme',
  'x-amz-checksum-sha1',
  'x-amz-checksum-sha256',
  'x-amz-checksum-sha512',
  'x-amz-checksum-md5',
  'x-amz-checksum-xxhash64',
  'x-amz-checksum-xxhash3',
  'x-amz-checksum-xxhash128',
];
const HASHES = new Map([
  ['x-amz-checksum-sha1', 'sha1'],
  ['x-amz-checksum-sha256', 'sha256'],
  ['x-amz-checksum-sha512', 'sha512'],
  ['x-amz-checksum-md5', 'md5'],
]);

export function readPayload(req: LocalRequest): Payload {
  const sha256Header = req.headers['x-amz-content-sha256'] ?? '';
  const encodings = (req.headers['content-encoding'] ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  const chunked = sha256Header.startsWith('STREAMING-') || encodings.includes('aws-chunked');
  const remaining = encodings.filter((e) => e !== 'aws-chunked').join(',');

  let body = req.body;
  let trailers: Record<string, string> = {};
  if (chunked) {
    ({ body, trailers } = decodeAwsChunked(req.body));
    const declared = req.headers['x-amz-decoded-content-length'];
    if (declared !== undefined && Number(declared) !== body.length) {
      throw new ServiceError('IncompleteBody', 400, `The aws-chunked body decodes to ${body.length} bytes, but x-amz-decoded-content-length is ${declared}.`);
    }
  } else if (/^[0-9a-f]{64}$/i.test(sha256Header) && createHash('sha256').update(body).digest('hex') !== sha256Header.toLowerCase()) {
    throw new ServiceError('XAmzContentSHA256Mismatch', 400, "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }

  const contentMd5 = req.headers['content-md5'];
  if (contentMd5 !== undefined) {
    if (Buffer.from(contentMd5, 'base64').length !== 16) throw new ServiceError('InvalidDigest', 400, 'The Content-MD5 you specified was invalid.');
    if (createHash('md5').update(body).digest('base64') !== contentMd5) {
      throw new ServiceError('BadDigest', 400, 'The Content-MD5 you specified did not match what we received.');
    }
  }

  const checksums: Record<string, string> = {};
  for (const name of CHECKSUM_HEADERS) {
    const value = trailers[name] ?? req.headers[name];
    if (value === undefined) continue;
    const computed = computeChecksum(name, body);
    if (computed !== undefined && computed !== value) {
      const algorithm = name.slice('x-amz-checksum-'.length).toUpperCase();
      throw new ServiceError('BadDigest', 400, `The ${algorithm} you specified did not match the calculated checksum.`);
    }
    checksums[name] = value;
  }
  return { body, checksums, contentEncoding: remaining || undefined };
}

function computeChecksum(header: string, body: Buffer): string | undefined {
  if (header === 'x-amz-checksum-crc32') {
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return crc.toString('base64');
  }
  const hash = HASHES.get(header);
  return hash ? createHash(hash).update(body).digest('base64') : undefined;
}

function decodeAwsChunked(raw: Buffer): { body: Buffer; trailers: Record<string, string> } {
  const malformed = () => new ServiceError('IncompleteBody', 400, 'The aws-chunked request body is malformed or ends early.');
  const chunks: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const eol = raw.indexOf('\r\n', pos);
    if (eol < 0) throw malformed();
    const sizeField = raw.toString('latin1', pos, eol).split(';')[0]?.trim() ?? '';
    if (!/^[0-9a-f]+$/i.test(sizeField)) throw malformed();
    const size = parseInt(sizeField, 16);
    pos = eol + 2;
    if (size === 0) break;
    const end = pos + size;
    if (end + 2 > raw.length || raw[end] !== 0x0d || raw[end + 1] !== 0x0a) throw malformed();
    chunks.push(raw.subarray(pos, end));
    pos = end + 2;
  }
  const trailers: Record<string, string> = {};
  for (const line of raw.toString('latin1', pos).split('\r\n')) {
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon <= 0) throw malformed();
    trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { body: Buffer.concat(chunks), trailers };
}
