import { S3Client } from '@aws-sdk/client-s3';

// Created once per Lambda container. No region or endpoint here: the SDK reads AWS_REGION and
// AWS_ENDPOINT_URL* itself, which is how local runs reach the local cloud.
export const s3 = new S3Client({});
