import { S3Client } from '@aws-sdk/client-s3';
import { clientConfig } from './config';

// Created once per Lambda container, with the functions' shared settings (./config).
export const s3 = new S3Client(clientConfig);
