import { ChimeSDKMediaPipelinesClient } from '@aws-sdk/client-chime-sdk-media-pipelines';

// Created once per Lambda container. No region or endpoint here: the SDK reads AWS_REGION and
// AWS_ENDPOINT_URL* itself, which is how local runs reach the local cloud. cacheMiddleware: the
// middleware chain is resolved once per command type instead of on every call (a quarter or more of a
// call's CPU); nothing here adds per-call middleware, which that would ignore.
export const mediaPipelines = new ChimeSDKMediaPipelinesClient({ cacheMiddleware: true });
