import { Readable } from 'node:stream';
import { runningInvocation, type InvocationHold } from './invocation';
import { localRequest, wireResponse, type Router } from './server';

/**
 * An AWS SDK request handler (the SDK's `requestHandler` client option) that hands each request to the
 * local cloud's router without a loopback socket: directly when the Lambda handlers run in the cloud's
 * own thread, or as a message to it when they run in worker threads (local/lambda-workers.ts).
 * Everything the SDK does (endpoint, SigV4 signing, retries, (de)serialization) and everything the cloud
 * does (routing by the credential scope, faults, rate limits, each service's wire protocol) is unchanged;
 * only the socket, the HTTP framing on both sides and the client's connection pool are skipped, which
 * is where much of the CPU of a thousand recordings in one process went. Clients outside the process
 * (tests, tools, the AWS CLI) keep using the HTTP port. Deployed Lambdas are not affected: only the local
 * runtime installs it.
 */

/** A request on its way to the router: plain data, so it can cross a thread boundary. */
export interface WireRequest {
  method: string;
  /** Path and query string, as on an HTTP request line. */
  target: string;
  /** Lower-cased names. */
  headers: Record<string, string>;
  body: Uint8Array;
}

export interface WireAnswer {
  status: number;
  /** Lower-cased names. */
  headers: Record<string, string>;
  body?: Uint8Array;
}

export type Exchange = (request: WireRequest, hold?: InvocationHold) => Promise<WireAnswer>;

/**
 * The cloud's side: one request through its router, answered as its HTTP port would answer it. The
 * invocation that sent it (if a handler did) lets the request hold simulated time meanwhile.
 */
export function routerExchange(router: Router, defaultRegion: string): Exchange {
  return async ({ method, target, headers, body }, hold = runningInvocation.getStore()?.hold) => {
    hold?.requestStarted();
    let response;
    try {
      response = await router.dispatch(localRequest(method, target, headers, Buffer.from(body.buffer, body.byteOffset, body.byteLength), defaultRegion), hold?.caller);
    } finally {
      hold?.requestEnded();
    }
    const wire = wireResponse(response, method);
    const answer: Record<string, string> = {};
    for (const [k, v] of Object.entries(wire.headers)) answer[k.toLowerCase()] = String(v);
    return { status: wire.status, headers: answer, body: typeof wire.body === 'string' ? Buffer.from(wire.body) : wire.body };
  };
}

interface SdkHttpRequest {
  method: string;
  protocol?: string;
  hostname?: string;
  port?: number;
  path: string;
  query?: Record<string, string | Array<string | null> | null>;
  headers: Record<string, string>;
  body?: unknown;
}

export class InProcessHttpHandler {
  readonly metadata = { handlerProtocol: 'http/1.1' };
  private readonly exchange: Exchange;

  /** With a router, requests go straight to it; with an Exchange, wherever that sends them. */
  constructor(to: Router | Exchange, defaultRegion = 'us-east-1') {
    this.exchange = typeof to === 'function' ? to : routerExchange(to, defaultRegion);
  }

  async handle(request: SdkHttpRequest, options: { abortSignal?: { aborted: boolean } } = {}): Promise<{ response: SdkHttpResponse }> {
    if (options.abortSignal?.aborted) throw Object.assign(new Error('Request aborted'), { name: 'AbortError' });
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(request.headers)) headers[k.toLowerCase()] = v;
    const query = queryString(request.query);
    const answer = await this.exchange({ method: request.method, target: query ? `${request.path}?${query}` : request.path, headers, body: await bodyBytes(request.body) });
    const body = answer.body === undefined ? [] : [Buffer.from(answer.body.buffer, answer.body.byteOffset, answer.body.byteLength)];
    return { response: { statusCode: answer.status, headers: answer.headers, body: Readable.from(body) } };
  }

  updateHttpClientConfig(): void {}

  httpHandlerConfigs(): Record<string, never> {
    return {};
  }

  destroy(): void {}
}

interface SdkHttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: Readable;
}

async function bodyBytes(body: unknown): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
    const chunks: Buffer[] = [];
    for await (const chunk of body as AsyncIterable<unknown>) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array));
    return Buffer.concat(chunks);
  }
  throw new Error(`the in-process request handler cannot send a ${typeof body} body`);
}

/** The query string as the SDK's Node handler builds it: keys and values percent-encoded, repeated keys kept. */
function queryString(query: SdkHttpRequest['query']): string {
  const parts: string[] = [];
  for (const key of Object.keys(query ?? {}).sort()) {
    const value = query![key];
    const k = escape(key);
    if (Array.isArray(value)) {
      for (const v of value) parts.push(v === null ? k : `${k}=${escape(v)}`);
    } else if (value === null || value === undefined) {
      parts.push(k);
    } else {
      parts.push(`${k}=${escape(value)}`);
    }
  }
  return parts.join('&');
}

/** RFC 3986 encoding, as the SDK's `escapeUri`. */
function escape(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
