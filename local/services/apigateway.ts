import { randomUUID } from 'node:crypto';
import type { CloudContext } from '../core/context';
import { ServiceError, json, type LocalRequest, type LocalResponse, type Service } from '../core/service';
import type { LambdaRuntime } from '../lambda';

/**
 * The stack's REST API (the `http` events in serverless.yml) as API Gateway serves it with AWS_IAM
 * authorization and Lambda proxy integration: `http://127.0.0.1:<port>/<stage>/<path>`, SigV4-signed
 * for `execute-api` (e.g. `curl --aws-sigv4 aws:amz:us-east-1:execute-api --user KEY:SECRET`). An
 * unsigned request gets API Gateway's 403 "Missing Authentication Token". Like the other emulators it
 * reads the credential scope but does not verify signatures: the local cloud holds no secret keys.
 */
interface Route {
  functionName: string;
  method: string;
  /** The resource as API Gateway names it, e.g. `/recordings/{id}`. */
  resource: string;
  pattern: RegExp;
  params: string[];
}

export class ApiGatewayService implements Service {
  readonly name = 'apigateway';
  readonly signingNames = ['execute-api', ''] as const;
  private readonly routes: Route[] = [];
  private stage = 'local';
  readonly apiId = 'localapi';

  constructor(
    private readonly ctx: CloudContext,
    private readonly lambda: LambdaRuntime,
  ) {}

  /** Serves the functions' routes under `/<stage>/` (called by LocalCloud.deploy). */
  deploy(stage: string): void {
    this.stage = stage;
    this.routes.length = 0;
    for (const spec of this.lambda.specs.values()) {
      for (const r of spec.httpRoutes) {
        const params: string[] = [];
        const source = r.path
          .split('/')
          .map((part) => {
            const param = /^\{(\w+)\}$/.exec(part)?.[1];
            if (!param) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
            params.push(param);
            return '([^/]+)';
          })
          .join('/');
        this.routes.push({ functionName: spec.name, method: r.method, resource: `/${r.path}`, pattern: new RegExp(`^/${source}/?$`), params });
      }
    }
  }

  operation(req: LocalRequest): string | undefined {
    if (req.signingName === '' && !req.path.startsWith(`/${this.stage}/`)) return undefined;
    return `${req.method} ${req.path}`;
  }

  async handle(_operation: string, req: LocalRequest): Promise<LocalResponse> {
    const prefix = `/${this.stage}`;
    const path = req.path.startsWith(`${prefix}/`) ? req.path.slice(prefix.length) : undefined;
    // API Gateway answers unknown paths and unsigned calls alike, so neither reveals which routes exist.
    if (req.signingName !== 'execute-api' || path === undefined) throw new ServiceError('MissingAuthenticationTokenException', 403, 'Missing Authentication Token');
    const rawPath = req.rawPath.slice(prefix.length);
    for (const route of this.routes) {
      const match = route.pattern.exec(rawPath);
      if (!match) continue;
      if (route.method !== req.method) continue;
      const pathParameters = Object.fromEntries(route.params.map((p, i) => [p, decodeURIComponent(match[i + 1] ?? '')]));
      return this.invoke(route, req, path, pathParameters);
    }
    throw new ServiceError('MissingAuthenticationTokenException', 403, 'Missing Authentication Token');
  }

  errorResponse(err: ServiceError): LocalResponse {
    return json(err.status, { message: err.message }, { 'x-amzn-errortype': err.code });
  }

  private async invoke(route: Route, req: LocalRequest, path: string, pathParameters: Record<string, string>): Promise<LocalResponse> {
    const requestId = randomUUID();
    const query = [...req.query.keys()];
    const event = {
      resource: route.resource,
      path,
      httpMethod: req.method,
      headers: req.headers,
      multiValueHeaders: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, [v]])),
      queryStringParameters: query.length ? Object.fromEntries(req.query.entries()) : null,
      multiValueQueryStringParameters: query.length ? Object.fromEntries(query.map((k) => [k, req.query.getAll(k)])) : null,
      pathParameters: route.params.length ? pathParameters : null,
      stageVariables: null,
      requestContext: {
        accountId: this.ctx.account,
        apiId: this.apiId,
        stage: this.stage,
        httpMethod: req.method,
        resourcePath: route.resource,
        path: req.path,
        requestId,
        identity: { accessKey: /Credential=([^/]+)/.exec(req.headers.authorization ?? '')?.[1] ?? null, sourceIp: '127.0.0.1', userArn: null, caller: null },
      },
      body: req.body.length ? req.body.toString('utf8') : null,
      isBase64Encoded: false,
    };
    let result: { statusCode?: number; headers?: Record<string, string>; body?: string };
    try {
      result = (await this.lambda.invoke(route.functionName, event)) as typeof result;
    } catch {
      // What API Gateway answers when the integration fails; the Lambda's error stays in its log.
      return json(502, { message: 'Internal server error' }, { 'x-amzn-requestid': requestId });
    }
    return { status: result?.statusCode ?? 502, headers: { 'content-type': 'application/json', ...result?.headers, 'x-amzn-requestid': requestId }, body: result?.body ?? '' };
  }
}
