/**
 * The contract every emulated AWS service implements. The HTTP front (server.ts) decodes a request,
 * asks each service registered for the request's SigV4 signing name which operation it is, applies
 * faults and rate limits by operation name, then lets the service answer in its own wire protocol.
 */
export interface LocalRequest {
  method: string;
  /** Decoded path without the query string, e.g. `/meetings/abc/attendees`. */
  path: string;
  /** The raw path as sent (percent-encoding kept), for services that must split keys themselves. */
  rawPath: string;
  query: URLSearchParams;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  body: Buffer;
  /** The service name from the SigV4 credential scope (`chime`, `s3`, `iam`, ...), or '' when unsigned. */
  signingName: string;
  /** The region from the SigV4 credential scope, or the cloud's default region. */
  region: string;
}

export interface LocalResponse {
  status: number;
  headers?: Record<string, string>;
  body?: Buffer | string;
}

/** An AWS error as the service would return it: error code (the SDK's `error.name`), HTTP status, message. */
export class ServiceError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = code;
  }
}

export interface Service {
  /** A short name used in logs and fault keys, e.g. `s3`, `meetings`. */
  readonly name: string;
  /** SigV4 signing names whose requests this service may answer. */
  readonly signingNames: readonly string[];
  /** The operation a request is for, or undefined when it is not this service's request. */
  operation(req: LocalRequest): string | undefined;
  handle(operation: string, req: LocalRequest): Promise<LocalResponse>;
  /** Renders an error in this service's protocol. */
  errorResponse(err: ServiceError, req: LocalRequest): LocalResponse;
  /** Called once when the cloud shuts down. */
  close?(): Promise<void>;
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): LocalResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: value === undefined ? '' : JSON.stringify(value),
  };
}

export function parseJsonBody(req: LocalRequest): Record<string, unknown> {
  if (req.body.length === 0) return {};
  try {
    const value: unknown = JSON.parse(req.body.toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through to the error below
  }
  throw new ServiceError('BadRequestException', 400, 'The request body is not a JSON object.');
}

/** rest-json error rendering shared by the Chime services (and any other rest-json service). */
export function restJsonError(err: ServiceError): LocalResponse {
  return json(
    err.status,
    { Code: err.code, Message: err.message, RequestId: cryptoRandomId(), ...err.extra },
    { 'x-amzn-errortype': err.code },
  );
}

/** awsJson (1.0/1.1) error rendering: `__type` carries the code. */
export function awsJsonError(err: ServiceError): LocalResponse {
  return json(err.status, { __type: err.code, message: err.message, ...err.extra }, { 'x-amzn-errortype': err.code });
}

function cryptoRandomId(): string {
  return globalThis.crypto.randomUUID();
}
