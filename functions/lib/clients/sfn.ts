import { SFNClient } from '@aws-sdk/client-sfn';
import { clientConfig } from './config';

// Created once per Lambda container, with the functions' shared settings (./config).
export const sfn = new SFNClient(clientConfig);
