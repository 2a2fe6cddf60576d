import { ChimeSDKMediaPipelinesClient } from '@aws-sdk/client-chime-sdk-media-pipelines';
import { clientConfig } from './config';

// Created once per Lambda container, with the functions' shared settings (./config).
export const mediaPipelines = new ChimeSDKMediaPipelinesClient(clientConfig);
