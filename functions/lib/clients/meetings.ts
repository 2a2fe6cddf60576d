import { ChimeSDKMeetingsClient } from '@aws-sdk/client-chime-sdk-meetings';

// Created once per Lambda container. No region or endpoint here: the SDK reads AWS_REGION and
// AWS_ENDPOINT_URL* itself, which is how local runs reach the local cloud.
export const meetings = new ChimeSDKMeetingsClient({});
