import { EventEmitter } from 'node:events';
import type http from 'node:http';
import dynalite from 'dynalite';
import { ServiceError, awsJsonError, type LocalRequest, type LocalResponse, type Service } from '../core/service';
import { memoizeDynaliteParsers } from './dynamodb-packrat';

/**
 * DynamoDB, answered by dynalite (a faithful DynamoDB implementation on LevelDB). Instead of running it on
 * a second port, its request listener is called in-process with a minimal request/response pair, so
 * DynamoDB shares the single local-cloud port, the fault injector and the call counters.
 */
type Listener = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export class DynamoDbService implements Service {
  readonly name = 'dynamodb';
  readonly signingNames = ['dynamodb'] as const;
  private readonly server: http.Server;
  private readonly listener: Listener;

  constructor(opts: { path?: string } = {}) {
    memoizeDynaliteParsers();
    this.server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, path: opts.path });
    const listener = this.server.listeners('request')[0];
    if (typeof listener !== 'function') throw new Error('dynalite did not expose a request listener');
    this.listener = listener as Listener;
  }

  operation(req: LocalRequest): string | undefined {
    const target = req.headers['x-amz-target'] ?? '';
    return target.startsWith('DynamoDB_20120810.') ? target.slice('DynamoDB_20120810.'.length) : undefined;
  }

  handle(_operation: string, req: LocalRequest): Promise<LocalResponse> {
    return new Promise((resolve) => {
      const fakeReq = Object.assign(new EventEmitter(), { method: req.method, url: '/', headers: req.headers });
      const headers: Record<string, string> = {};
      const fakeRes = {
        statusCode: 200,
        contentType: 'application/x-amz-json-1.0',
        setHeader(name: string, value: string | number) {
          headers[name.toLowerCase()] = String(value);
        },
        end(body?: string | Buffer) {
          resolve({ status: fakeRes.statusCode, headers, body: body ?? '' });
        },
      };
      this.listener(fakeReq as unknown as http.IncomingMessage, fakeRes as unknown as http.ServerResponse);
      // dynalite reads the body from 'data'/'end' events, attached synchronously above.
      if (req.body.length > 0) fakeReq.emit('data', req.body);
      fakeReq.emit('end');
    });
  }

  errorResponse(err: ServiceError): LocalResponse {
    return awsJsonError(new ServiceError(`com.amazonaws.dynamodb.v20120810#${err.code}`, err.status, err.message));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
