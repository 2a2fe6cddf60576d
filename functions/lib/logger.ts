import { Logger } from '@aws-lambda-powertools/logger';

/**
 * Never logs the invocation event, whatever POWERTOOLS_LOGGER_LOG_EVENT or a middleware's `logEvent`
 * option says: an event is a request body.
 */
class EventlessLogger extends Logger {
  override logEventIfEnabled(): void {}
}

/**
 * One structured logger for every function. Handlers log ids and outcomes only, never request bodies:
 * a body can carry a stream key or personal data, and CloudWatch keeps logs.
 */
export const logger: Logger = new EventlessLogger({ serviceName: 'chime-recording' });
