import { ChimeSDKMeetingsClient } from '@aws-sdk/client-chime-sdk-meetings';
import { clientConfig } from './config';

// Created once per Lambda container, with the functions' shared settings (./config).
export const meetings = new ChimeSDKMeetingsClient(clientConfig);
