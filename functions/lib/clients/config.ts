/**
 * What every AWS SDK client of the functions is created with (the files beside this one), in one place.
 *
 * - One attempt per call (maxAttempts: 1). The workflow's retries are the state machine's (each Task's
 *   Retry in statemachines/recording.asl.json: full-jitter backoff sized for Chime's account-wide request
 *   quota, visible in the execution history) and, for the meeting-event handler, its EventBridge rules'
 *   retry policy. SDK retries inside a Lambda would multiply those (3 SDK attempts under each of the
 *   state machine's), spend the shared Chime quota on quick re-sends, and stay invisible. Set here in
 *   code, it holds whatever AWS_MAX_ATTEMPTS an environment sets, on AWS and on the local cloud alike.
 * - cacheMiddleware: the middleware chain is resolved once per command type instead of on every call (a
 *   quarter or more of a call's CPU); nothing here adds per-call middleware, which that would ignore.
 * - No region or endpoint: the SDK reads AWS_REGION and AWS_ENDPOINT_URL* itself.
 */
export const clientConfig = { maxAttempts: 1, cacheMiddleware: true } as const;
