import { IAMClient } from '@aws-sdk/client-iam';

// Created once per Lambda container. No region or endpoint here: the SDK reads AWS_REGION and
// AWS_ENDPOINT_URL* itself, which is how local runs reach the local cloud.
export const iam = new IAMClient({});
