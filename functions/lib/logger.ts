import { Logger } from '@aws-lambda-powertools/logger';

/**
 * One structured logger for every function. Handlers log ids and outcomes only, never request bodies:
 * a body can carry a stream key or personal data, and CloudWatch keeps logs.
 */
export const logger = new Logger({ serviceName: 'chime-recording' });
