import { S3Client } from '@aws-sdk/client-s3';
import { clientConfig } from './config';

// Created once per Lambda container, with the functions' shared settings (./config). A meeting hosted in
// another region than the stack's has its buckets there, and S3 answers a bucket's region-bound calls
// (policy, encryption, listing, deleting) sent to another region with 301 PermanentRedirect naming the
// bucket's region (x-amz-bucket-region): followRegionRedirects re-sends the call there.
export const s3 = new S3Client({ ...clientConfig, followRegionRedirects: true });
