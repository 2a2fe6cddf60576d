import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { HistoryEvent } from '../sfn/history';
import type { Execution } from '../sfn/runner';
import { ConsoleData, type ConsoleSources } from './data';

/**
 * The local console: a read-only web page on the cloud's own port (no other port, nothing fetched from
 * outside). It answers unsigned GET requests for `/` (from a browser) and `/console/...`; every other
 * request (signed AWS calls, the recordings API under its stage path) goes on to the services.
 *
 *   /, /console/                      the page (static/index.html)
 *   /console/static/<file>            its script and style
 *   /console/vendor/dagre.js          the graph layout library, from node_modules
 *   /console/api/recordings           ListExecutions + DescribeExecution (newest first)
 *   /console/api/recording?arn=       DescribeExecution, DescribeStateMachine, GetExecutionHistory
 *   /console/api/files?arn=           ListObjectsV2 of the execution's prefixes (and its manifest)
 *   /console/api/calls[?arn=]         the local call log (local only)
 *   /console/api/events[?arn=]        the EventBridge events the local bus delivered (local only)
 *   /console/api/faults               injected faults, rate limits, behaviour variants (local only)
 *   /console/api/updates              server-sent events: "change" whenever something happened
 *   /console/file/<bucket>/<key>      GetObject, as a download
 */
const STATIC_DIR = path.join(__dirname, 'static');
const STATIC: Record<string, string> = { 'index.html': 'text/html; charset=utf-8', 'app.js': 'text/javascript; charset=utf-8', 'style.css': 'text/css; charset=utf-8' };
const DAGRE = require.resolve('@dagrejs/dagre').replace(/dagre\.cjs$/, 'dagre.esm.js');
/** Updates are sent at most this often (real ms): a busy cloud changes thousands of times a second. */
const UPDATE_INTERVAL_MS = 250;

export class ConsoleServer {
  readonly data: ConsoleData;
  private readonly subscribers = new Set<http.ServerResponse>();
  private pending?: NodeJS.Timeout;
  private readonly unsubscribe: () => void;

  constructor(sources: ConsoleSources & { onHistory: Set<(execution: Execution, event: HistoryEvent) => void> }) {
    this.data = new ConsoleData(sources);
    const onHistory = (execution: Execution, event: HistoryEvent) => {
      this.data.sawHistory(execution.executionArn, event.id);
      this.changed();
    };
    const changed = () => this.changed();
    sources.onHistory.add(onHistory);
    sources.router.listeners.add(changed);
    sources.router.faults.changeListeners.add(changed);
    sources.ctx.bus.listeners.add(changed);
    sources.ctx.bus.faultChangeListeners.add(changed);
    this.unsubscribe = () => {
      sources.onHistory.delete(onHistory);
      sources.router.listeners.delete(changed);
      sources.router.faults.changeListeners.delete(changed);
      sources.ctx.bus.listeners.delete(changed);
      sources.ctx.bus.faultChangeListeners.delete(changed);
    };
  }

  /** Takes the request when it is the console's (see listen's FrontDoor in local/core/server.ts). */
  readonly serve = (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    if (req.headers.authorization) return false;
    const url = new URL(req.url ?? '/', 'http://local');
    if (url.searchParams.has('X-Amz-Credential')) return false;
    // `/` only for a browser: an unsigned GET / from an AWS tool (anonymous ListBuckets) goes on to the services.
    const page = url.pathname === '/' && (req.headers.accept ?? '').includes('text/html');
    if (!page && !url.pathname.startsWith('/console/')) return false;
    this.answer(url, res).catch((err: unknown) => send(res, 500, 'text/plain; charset=utf-8', `local console: ${err instanceof Error ? err.message : String(err)}`));
    return true;
  };

  close(): void {
    this.unsubscribe();
    clearTimeout(this.pending);
    for (const res of this.subscribers) res.end();
    this.subscribers.clear();
    this.data.close();
  }

  private async answer(url: URL, res: http.ServerResponse): Promise<void> {
    const route = url.pathname;
    const arn = url.searchParams.get('arn') ?? undefined;
    if (route === '/' || route === '/console/') return sendFile(res, path.join(STATIC_DIR, 'index.html'), STATIC['index.html']!);
    if (route.startsWith('/console/static/')) {
      const name = route.slice('/console/static/'.length);
      const type = STATIC[name];
      return type ? sendFile(res, path.join(STATIC_DIR, name), type) : notFound(res, route);
    }
    if (route === '/console/vendor/dagre.js') return sendFile(res, DAGRE, 'text/javascript; charset=utf-8');
    if (route === '/console/api/updates') return this.subscribe(res);
    if (route.startsWith('/console/file/')) {
      const [bucket, ...key] = route.slice('/console/file/'.length).split('/').map(decodeURIComponent);
      if (!bucket || key.length === 0) return send(res, 400, 'text/plain; charset=utf-8', 'usage: /console/file/<bucket>/<key>');
      const object = await this.data.object(bucket, key.join('/')).catch((err: unknown) => err as Error);
      if (object instanceof Error) return send(res, object.name === 'NoSuchKey' || object.name === 'NoSuchBucket' ? 404 : 500, 'text/plain; charset=utf-8', `${object.name}: s3://${bucket}/${key.join('/')}`);
      res.writeHead(200, {
        'content-type': object.contentType ?? 'application/octet-stream',
        ...(object.contentLength === undefined ? {} : { 'content-length': object.contentLength }),
        'content-disposition': `attachment; filename="${path.basename(key.join('/')).replace(/["\\]/g, '_')}"`,
      });
      await pipeline(object.body, res);
      return;
    }
    const needArn = () => {
      if (!arn) throw new UsageError(`${route} needs ?arn=<executionArn> (the executionArn from /console/api/recordings)`);
      return arn;
    };
    try {
      switch (route) {
        case '/console/api/recordings':
          return sendJson(res, await this.data.recordings());
        case '/console/api/recording':
          return sendJson(res, await this.data.recording(needArn()));
        case '/console/api/files':
          return sendJson(res, await this.data.files(needArn()));
        case '/console/api/calls':
          return sendJson(res, await this.data.calls(arn));
        case '/console/api/events':
          return sendJson(res, await this.data.events(arn));
        case '/console/api/faults':
          return sendJson(res, this.data.faults());
        default:
          return notFound(res, route);
      }
    } catch (err) {
      if (err instanceof UsageError) return send(res, 400, 'text/plain; charset=utf-8', err.message);
      if (err instanceof Error && err.name === 'ExecutionDoesNotExist') return send(res, 404, 'text/plain; charset=utf-8', `no execution ${arn}`);
      throw err;
    }
  }

  private subscribe(res: http.ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write('retry: 1000\n\n');
    this.subscribers.add(res);
    res.once('close', () => this.subscribers.delete(res));
  }

  /** Tells open pages to redraw (soon: at most every UPDATE_INTERVAL_MS). */
  changed(): void {
    if (this.pending || this.subscribers.size === 0) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      for (const res of this.subscribers) res.write('event: change\ndata: {}\n\n');
    }, UPDATE_INTERVAL_MS);
  }
}

class UsageError extends Error {}

function send(res: http.ServerResponse, status: number, type: string, body: string | Buffer): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function sendJson(res: http.ServerResponse, value: unknown): void {
  send(res, 200, 'application/json; charset=utf-8', JSON.stringify(value));
}

function sendFile(res: http.ServerResponse, file: string, type: string): void {
  send(res, 200, type, fs.readFileSync(file));
}

function notFound(res: http.ServerResponse, route: string): void {
  send(res, 404, 'text/plain; charset=utf-8', `the local console has no ${route}; its page is at /`);
}
