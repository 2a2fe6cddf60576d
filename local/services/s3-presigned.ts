import { ServiceError, type LocalRequest } from '../core/service';

/**
 * Query-string authentication (a presigned URL) as S3 checks it before anything else. The signature
 * itself is not verified (the local cloud trusts its own machine, local/core/server.ts); what a link's
 * holder meets on AWS is: the six parameters SigV4 requires, the algorithm, the date's form, the
 * lifetime's bounds, and expiry on the cloud's clock.
 *
 * - "Authenticating Requests: Using Query Parameters (AWS Signature Version 4)"
 *   (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html): X-Amz-Algorithm
 *   (AWS4-HMAC-SHA256), X-Amz-Credential, X-Amz-Date (ISO 8601 basic, `yyyyMMddTHHmmssZ`), X-Amz-Expires
 *   ("Minimum value of 1. Maximum value of 604800 (seven days)"), X-Amz-SignedHeaders, X-Amz-Signature.
 * - "Amazon S3 checks the expiration date and time of a signed URL at the time of the HTTP request"
 *   ("Download and upload objects with presigned URLs",
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-presigned-url.html); an expired link is
 *   refused with 403 AccessDenied "Request has expired", the error naming X-Amz-Expires, Expires and
 *   ServerTime (S3's answers quoted in aws/aws-sdk-php#1333 and aws/aws-sdk-js#3493).
 * - A malformed query answers 400 AuthorizationQueryParametersError with S3's wording (as S3-compatible
 *   servers reproduce it, e.g. minio's ErrMaximumExpires).
 */
const REQUIRED = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders', 'X-Amz-Expires'] as const;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const MAX_EXPIRES_SECONDS = 604_800;

const malformed = (message: string) => new ServiceError('AuthorizationQueryParametersError', 400, message);

/** True when the request authenticates with query parameters rather than an Authorization header. */
export function isPresigned(req: LocalRequest): boolean {
  return req.headers.authorization === undefined && REQUIRED.some((p) => req.query.has(p));
}

/** Throws S3's refusal of a presigned request at `now` (ms), or returns when S3 would go on to the operation. */
export function checkPresigned(req: LocalRequest, now: number): void {
  const q = req.query;
  if (REQUIRED.some((p) => !q.get(p))) {
    throw malformed('Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.');
  }
  if (q.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') throw malformed('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
  const date = AMZ_DATE.exec(q.get('X-Amz-Date')!);
  if (!date) throw malformed('X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd\'T\'HHmmss\'Z\'"');
  const raw = q.get('X-Amz-Expires')!;
  if (!/^-?\d+$/.test(raw)) throw malformed('X-Amz-Expires should be a number');
  const expires = Number(raw);
  if (expires < 0) throw malformed('X-Amz-Expires must be non-negative');
  if (expires > MAX_EXPIRES_SECONDS) throw malformed('X-Amz-Expires must be less than a week (in seconds) that is, the given X-Amz-Expires must be less than 604800 seconds');
  const [, y, mo, d, h, mi, s] = date.map(Number) as number[];
  const expiresAt = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!) + expires * 1000;
  if (now > expiresAt) {
    throw new ServiceError('AccessDenied', 403, 'Request has expired', { 'X-Amz-Expires': expires, Expires: seconds(expiresAt), ServerTime: seconds(now) });
  }
}

/** ISO 8601 to the second, as S3 writes Expires and ServerTime. */
function seconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
