import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import middy from '@middy/core';
import { s3 } from '../lib/clients/s3';
import { sfn } from '../lib/clients/sfn';
import { isThrottling } from '../lib/errors';
import { logContext, logger } from '../lib/logger';
import { store } from '../lib/store-instance';
import { defaultsFromEnv } from '../validate-request/defaults';
import { downloadLinkSeconds, presignWith } from './downloads';
import { getRecording, listRecordings, startRecording, stopRecording, type ApiDeps, type ApiResult } from './recordings';
import { nowIso } from '../lib/time';

/**
 * API Gateway (REST, proxy integration, AWS_IAM) adapter for the recordings API. It logs the route and
 * the status only: a request body may carry personal data.
 */
const deps: ApiDeps = {
  sfn,
  store,
  stateMachineArn: process.env.STATE_MACHINE_ARN ?? '',
  defaults: defaultsFromEnv(),
  now: nowIso,
  presignGet: presignWith(s3),
  downloadLinkSeconds: downloadLinkSeconds(process.env.DOWNLOAD_LINK_SECONDS),
};

function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === wanted && v !== undefined) return v;
  return undefined;
}

export function route(event: APIGatewayProxyEvent, deps: ApiDeps): Promise<ApiResult> {
  const id = event.pathParameters?.id ?? '';
  switch (`${event.httpMethod} ${event.resource}`) {
    case 'POST /recordings': {
      const body = event.isBase64Encoded && event.body ? Buffer.from(event.body, 'base64').toString('utf8') : (event.body ?? undefined);
      return startRecording(deps, body, header(event, 'Idempotency-Key'));
    }
    case 'GET /recordings':
      return listRecordings(deps, event.queryStringParameters ?? {});
    case 'GET /recordings/{id}':
      return getRecording(deps, id);
    case 'POST /recordings/{id}/stop':
      return stopRecording(deps, id);
    default:
      return Promise.resolve({ statusCode: 404, body: { message: `No route ${event.httpMethod} ${event.resource}.` } });
  }
}

export const handler = middy(async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  let result: ApiResult;
  try {
    result = await route(event, deps);
  } catch (err) {
    // AWS refused or failed a call: the caller may retry; details stay in the log, not the answer.
    const name = err instanceof Error ? err.name : 'Error';
    logger.error('recordings API call failed', { route: `${event.httpMethod} ${event.resource}`, error: name });
    const throttled = isThrottling(err);
    result = { statusCode: throttled ? 429 : 502, body: { message: throttled ? 'Too many requests; retry with backoff.' : 'An AWS call failed; retry, with the same Idempotency-Key for POST /recordings.' } };
  }
  logger.info('recordings API', { route: `${event.httpMethod} ${event.resource}`, statusCode: result.statusCode });
  return { statusCode: result.statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(result.body) };
}).use(logContext());
