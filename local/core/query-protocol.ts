import { randomUUID } from 'node:crypto';
import { XMLBuilder } from 'fast-xml-parser';
import type { LocalRequest, LocalResponse, ServiceError } from './service';

/**
 * AWS's query protocol (IAM, STS): the action and its parameters form-encoded in the body or the query
 * string; answers `<ActionResponse><ActionResult>...` in XML, errors `<ErrorResponse><Error>` with Type
 * Sender or Receiver (the API references' "Common Errors"; botocore's `query` protocol parser).
 */
const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_' });

export function queryParams(req: LocalRequest): URLSearchParams {
  const merged = new URLSearchParams(req.query);
  if (req.body.length > 0) for (const [k, v] of new URLSearchParams(req.body.toString('utf8'))) merged.set(k, v);
  return merged;
}

export function queryResponse(namespace: string, action: string, result: Record<string, unknown>): LocalResponse {
  const requestId = randomUUID();
  return {
    status: 200,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body: builder.build({
      [`${action}Response`]: { '@_xmlns': namespace, [`${action}Result`]: result, ResponseMetadata: { RequestId: requestId } },
    }),
  };
}

export function queryError(namespace: string, err: ServiceError): LocalResponse {
  const requestId = randomUUID();
  return {
    status: err.status,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body: builder.build({
      ErrorResponse: {
        '@_xmlns': namespace,
        Error: { Type: err.status >= 500 ? 'Receiver' : 'Sender', Code: err.code, Message: err.message },
        RequestId: requestId,
      },
    }),
  };
}
