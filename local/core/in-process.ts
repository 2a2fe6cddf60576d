import { Readable } from 'node:stream';
import { localRequest, wireResponse, type Router } from './server';

/**
 * An AWS SDK request handler (the SDK's `requestHandler` client option) that hands each request to the
 * local cloud's router inside the process instead of sending it over a loopback socket. The Lambda
 * handlers running in the local cloud's own process use it: everything the SDK does (endpoint, SigV4
 * signing, retries, (de)serialization) and everything the cloud does (routing by the credential scope,
 * faults, rate limits, each service's wire protocol) is unchanged; only the socket, the HTTP framing on
 * both sides and the client's connection pool are skipped, which is where much of the CPU of a
 * thousand recordings in one process went. Clients outside the process (tests, tools, the AWS CLI) keep
 * using the HTTP port. Deployed Lambdas are not affected: only the local runtime installs it.
 */
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

  constructor(
    private readonly router: Router,
    private readonly defaultRegion: string,
  ) {}

  async handle(request: SdkHttpRequest, options: { abortSignal?: { aborted: boolean } } = {}): Promise<{ response: SdkHttpResponse }> {
    if (options.abortSignal?.aborted) throw Object.assign(new Error('Request aborted'), { name: 'AbortError' });
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(request.headers)) headers[k.toLowerCase()] = v;
    const body = await bodyBytes(request.body);
    const query = queryString(request.query);
    const local = localRequest(request.method, query ? `${request.path}?${query}` : request.path, headers, body, this.defaultRegion);
    const wire = wireResponse(await this.router.dispatch(local), request.method);
    const responseHeaders: Record<string, string> = {};
    for (const [k, v] of Object.entries(wire.headers)) responseHeaders[k.toLowerCase()] = String(v);
    const bytes = wire.body === undefined ? [] : [Buffer.from(wire.body)];
    return { response: { statusCode: wire.status, headers: responseHeaders, body: Readable.from(bytes) } };
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
