import { IAMClient } from '@aws-sdk/client-iam';
import { clientConfig } from './config';

// Created once per Lambda container, with the functions' shared settings (./config).
export const iam = new IAMClient(clientConfig);
