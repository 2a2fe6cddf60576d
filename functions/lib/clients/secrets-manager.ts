import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { clientConfig } from './config';

// Created once per Lambda container, with the functions' shared settings (./config).
export const secretsManager = new SecretsManagerClient(clientConfig);
