import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

// Created once per Lambda container. No region or endpoint here: the SDK reads AWS_REGION and
// AWS_ENDPOINT_URL* itself, which is how local runs reach the local cloud.
export const secretsManager = new SecretsManagerClient({});
