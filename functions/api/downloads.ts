import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

/**
 * Download links for a finished recording's files: presigned S3 GET URLs (query-string SigV4), which
 * anyone holding one may use until it expires, without AWS credentials of their own. A link carries the
 * signer's permissions: the api function's role may read the concatenation buckets' objects only
 * (serverless.yml), and a link signed with temporary credentials (a Lambda role's) stops working when
 * they expire, even before its own expiry ("Download and upload objects with presigned URLs",
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-presigned-url.html).
 */
export interface Download {
  /** The file, as the recording lists it. */
  uri: string;
  url: string;
  expiresAt: string;
}

export interface PresignRequest {
  bucket: string;
  key: string;
  /** The bucket's region: a link signed for another region is refused there. */
  region: string;
  seconds: number;
  signedAt: Date;
}

export type PresignGet = (request: PresignRequest) => Promise<string>;

/**
 * Presigns with the functions' S3 client (its credentials, endpoint and middleware) for the bucket's
 * region. A finished file is in the meeting's media region (VerifyBuckets holds the buckets to it), which
 * need not be the stack's, where the client points: getSignedUrl resolves the endpoint and the signing
 * region from the config it is given, so it gets the client's config with that region. The signing time
 * is the handlers' clock (functions/lib/time.ts), not the SDK's.
 */
export function presignWith(s3: S3Client): PresignGet {
  return ({ bucket, key, region, seconds, signedAt }) => {
    const inRegion = { config: { ...s3.config, region: () => Promise.resolve(region) }, middlewareStack: s3.middlewareStack } as unknown as S3Client;
    return getSignedUrl(inRegion, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: seconds, signingDate: signedAt });
  };
}

const S3_URI = /^s3:\/\/([^/]+)\/(.+)$/;

/** A link per file (`s3://bucket/key`), valid `seconds` from `now` (ms). */
export async function downloadLinks(presign: PresignGet, uris: string[], region: string, seconds: number, now: number): Promise<Download[]> {
  const signedAt = new Date(now);
  const expiresAt = new Date(now + seconds * 1000).toISOString();
  return Promise.all(
    uris.map(async (uri) => {
      const [, bucket, key] = S3_URI.exec(uri) ?? [];
      if (!bucket || !key) throw new Error(`not an s3:// URI of an object: ${uri}`);
      return { uri, url: await presign({ bucket, key, region, seconds, signedAt }), expiresAt };
    }),
  );
}

/**
 * The stack parameter downloadLinkSeconds (DOWNLOAD_LINK_SECONDS): SigV4 query-string signing allows
 * 1 to 604800 seconds (seven days). CloudFormation's parameter bounds refuse anything else at deploy
 * time; this says the same for an environment set by hand.
 */
export function downloadLinkSeconds(value: string | undefined): number {
  const seconds = Number(value ?? '3600');
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 604_800) {
    throw new Error(`DOWNLOAD_LINK_SECONDS is "${value}": it must be a whole number of seconds from 1 to 604800 (seven days, SigV4's longest); deploy with --param="downloadLinkSeconds=3600", for example`);
  }
  return seconds;
}
