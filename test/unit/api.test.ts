import fs from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import YAML from 'yaml';
import { mockClient } from 'aws-sdk-client-mock';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { DynamoDBClient, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, ExecutionAlreadyExists, ExecutionDoesNotExist, InvalidToken, ListExecutionsCommand, SendTaskSuccessCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { marshall } from '@aws-sdk/util-dynamodb';
import { downloadLinkSeconds, presignWith } from '../../functions/api/downloads';
import { route } from '../../functions/api/handler';
import type { ApiDeps } from '../../functions/api/recordings';
import { idempotencyName } from '../../functions/lib/tokens';
import { buildPlan } from '../../functions/validate-request/validate';
import { INPUT_SCHEMA_FILE, inputSchemaText } from '../../scripts/input-schema';

/**
 * The API's contract: api/openapi.yaml against serverless.yml's routes and against what the handler
 * answers (every status it returns is documented for that operation, with a body matching the
 * documented schema); the input JSON Schema against the zod schema it is generated from; the example
 * inputs against both.
 */
const root = path.resolve(__dirname, '../..');
const doc = YAML.parse(fs.readFileSync(path.join(root, 'api/openapi.yaml'), 'utf8')) as OpenApi;
const inputSchema = JSON.parse(fs.readFileSync(path.join(root, INPUT_SCHEMA_FILE), 'utf8')) as Record<string, unknown>;

interface OpenApi {
  paths: Record<string, Record<string, { operationId: string; responses: Record<string, { $ref?: string; content?: { 'application/json': { schema: unknown } } }> }>>;
  components: { responses: Record<string, { content: { 'application/json': { schema: unknown } } }>; schemas: Record<string, unknown> };
}

const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addFormat('date-time', true);
ajv.addSchema({ ...inputSchema, $id: 'input.json' });
// Local $refs resolve against the document's components.
ajv.addSchema({ $id: 'openapi.json', components: doc.components });

function responseSchema(method: string, resource: string, status: number): unknown {
  const op = doc.paths[resource]?.[method.toLowerCase()];
  const response = op?.responses[String(status)];
  if (!response) throw new Error(`${method} ${resource} answered ${status}, which api/openapi.yaml does not document for it`);
  const resolved = response.$ref ? doc.components.responses[response.$ref.split('/').pop() ?? ''] : response;
  return rewriteRefs(resolved?.content?.['application/json'].schema);
}

function rewriteRefs(schema: unknown): unknown {
  return JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, '"openapi.json#/components/'));
}

const sfn = mockClient(SFNClient);
const db = mockClient(DynamoDBClient);
const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:chime-recording-dev-recording';
const executionArn = (name: string) => `arn:aws:states:us-east-1:123456789012:execution:chime-recording-dev-recording:${name}`;
const deps: ApiDeps = {
  sfn: new SFNClient({}),
  store: { db: new DynamoDBClient({}), table: 'recordings' },
  stateMachineArn: STATE_MACHINE,
  defaults: { captureBucket: 'capture-bucket', region: 'us-east-1', partition: 'aws' },
  now: () => '2026-11-23T10:00:00.000Z',
  // The real presigner: signing is local (no request is sent), with a client as the function's, in the stack's region.
  presignGet: presignWith(new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'session' } })),
  downloadLinkSeconds: 3600,
};

function event(method: string, resource: string, opts: { id?: string; body?: string; headers?: Record<string, string>; query?: Record<string, string> } = {}): APIGatewayProxyEvent {
  return {
    queryStringParameters: opts.query ?? null,
    httpMethod: method,
    resource,
    path: resource.replace('{id}', opts.id ?? ''),
    pathParameters: opts.id === undefined ? null : { id: opts.id },
    headers: opts.headers ?? {},
    body: opts.body ?? null,
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEvent;
}

/** Calls the handler's router and checks the answer against the document. */
async function call(method: string, resource: string, opts: Parameters<typeof event>[2] = {}) {
  const result = await route(event(method, resource, opts), deps);
  const validate = ajv.compile(responseSchema(method, resource, result.statusCode) as object);
  if (!validate(result.body)) throw new Error(`${method} ${resource} ${result.statusCode}: body does not match api/openapi.yaml: ${ajv.errorsText(validate.errors)}`);
  return result;
}

const meta = { $metadata: {} };
const item = (over: Record<string, unknown> = {}) =>
  marshall({ meetingId: 'm-1', executionId: executionArn('rec-1'), executionName: 'rec-1', status: 'RECORDING', createdMeeting: true, mediaRegion: 'us-east-1', presence: {}, checks: 1, capturePipelineId: 'cap-1', taskToken: 'tok', createdAt: 'x', updatedAt: 'x', ...over });

beforeEach(() => {
  for (const m of [sfn, db]) m.reset();
});

describe('api/openapi.yaml', () => {
  it('documents exactly the routes serverless.yml deploys, all behind AWS_IAM', () => {
    const sls = YAML.parse(fs.readFileSync(path.join(root, 'serverless.yml'), 'utf8').replace(/\$\{[^}]*\}/g, 'x')) as { functions: Record<string, { events?: Array<{ http?: { method: string; path: string; authorizer?: string } }> }> };
    const deployed = Object.values(sls.functions).flatMap((f) => (f.events ?? []).flatMap((e) => (e.http ? [e.http] : [])));
    expect(deployed.every((h) => h.authorizer === 'aws_iam')).toBe(true);
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    expect(deployed.map((h) => `${h.method.toUpperCase()} /${h.path}`).sort()).toEqual(documented.sort());
  });

  it('takes as POST /recordings body the input JSON Schema, which is generated from the zod schema (run `npm run docs`)', () => {
    expect((doc.paths['/recordings']?.post as unknown as { requestBody: { content: { 'application/json': { schema: { $ref: string } } } } }).requestBody.content['application/json'].schema.$ref).toBe(`../${INPUT_SCHEMA_FILE}`);
    expect(fs.readFileSync(path.join(root, INPUT_SCHEMA_FILE), 'utf8')).toBe(inputSchemaText());
  });

  it('holds example inputs that both the JSON Schema and ValidateRequest accept', () => {
    const dir = path.join(root, 'statemachines/examples');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(2);
    const validate = ajv.getSchema('input.json');
    for (const f of files) {
      const input: unknown = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
      expect({ file: f, valid: validate?.(input), errors: ajv.errorsText(validate?.errors) }).toEqual({ file: f, valid: true, errors: 'No errors' });
      expect(() => buildPlan(input, 'arn:x', 'example', { captureBucket: 'capture-bucket', region: 'us-east-1', partition: 'aws' })).not.toThrow();
    }
  });
});

describe('POST /recordings', () => {
  it('starts an execution named after the Idempotency-Key, with the body as its input', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: executionArn('k'), startDate: new Date() });
    const body = '{"meeting":{"externalMeetingId":"standup"}}';
    const res = await call('POST', '/recordings', { body, headers: { 'idempotency-key': 'abc' } });
    expect(res.statusCode).toBe(202);
    expect(res.body.id).toBe(idempotencyName('abc'));
    expect(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input).toEqual({ stateMachineArn: STATE_MACHINE, name: idempotencyName('abc'), input: body });
    expect(idempotencyName('any key: with spaces/and#symbols')).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
  });

  it('answers a repeated key with the same recording, and another body under that key with 409', async () => {
    const body = '{"meeting":{}}';
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', ...meta }));
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: executionArn('k'), input: body, status: 'SUCCEEDED', stateMachineArn: STATE_MACHINE, startDate: new Date() });
    expect((await call('POST', '/recordings', { body, headers: { 'Idempotency-Key': 'k' } })).body).toMatchObject({ status: 'SUCCEEDED' });
    const conflict = await call('POST', '/recordings', { body: '{"meeting":{"externalMeetingId":"other"}}', headers: { 'Idempotency-Key': 'k' } });
    expect(conflict.statusCode).toBe(409);
  });

  it('answers 400 naming the fields, before any AWS call', async () => {
    const res = await call('POST', '/recordings', { body: '{"meetingId":"nope","meeting":{}}' });
    expect(res.statusCode).toBe(400);
    expect((res.body.problems as string[]).join('\n')).toMatch(/meetingId: must be a Chime meeting id/);
    expect((await call('POST', '/recordings', { body: '{}' })).body.problems).toEqual([expect.stringMatching(/^meetingId or meeting:/)]);
    expect((await call('POST', '/recordings', { body: '[1' })).statusCode).toBe(400);
    expect((await call('POST', '/recordings', { body: '{"meeting":{}}', headers: { 'Idempotency-Key': 'x'.repeat(256) } })).statusCode).toBe(400);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('answers 429 when AWS throttles and 502 when it fails, without details', async () => {
    sfn.on(StartExecutionCommand).rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' })).rejectsOnce(new Error('boom'));
    const handler = (await import('../../functions/api/handler')).handler;
    const ev = event('POST', '/recordings', { body: '{"meeting":{},"capture":{"bucket":"capture-bucket"}}' });
    // Through the full handler (middy), so the status and the JSON body are what API Gateway returns.
    const ctx = { awsRequestId: 'r', functionName: 'api', getRemainingTimeInMillis: () => 1000 } as never;
    const throttled = await handler(ev, ctx);
    expect(throttled.statusCode).toBe(429);
    const failed = await handler(ev, ctx);
    expect(failed.statusCode).toBe(502);
    expect(failed.body).not.toContain('boom');
    // Throttling as errors.ts knows it, whichever service: DynamoDB's name has neither "Throttl" nor "TooManyRequests".
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: executionArn('rec-1'), status: 'RUNNING', stateMachineArn: STATE_MACHINE, startDate: new Date() });
    db.on(QueryCommand).rejects(Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ProvisionedThroughputExceededException' }));
    expect((await handler(event('GET', '/recordings/{id}', { id: 'rec-1' }), ctx)).statusCode).toBe(429);
  });
});

describe('GET /recordings', () => {
  it("pages through the state machine's executions, newest first as ListExecutions gives them", async () => {
    const started = new Date('2026-11-23T10:00:00Z');
    sfn.on(ListExecutionsCommand, { stateMachineArn: STATE_MACHINE, maxResults: 2, nextToken: undefined }).resolves({ ...meta, executions: [{ name: 'rec-2', executionArn: executionArn('rec-2'), stateMachineArn: STATE_MACHINE, status: 'RUNNING', startDate: started }], nextToken: 'page-2' });
    const res = await call('GET', '/recordings', { query: { limit: '2' } });
    expect(res).toEqual({ statusCode: 200, body: { recordings: [{ id: 'rec-2', executionArn: executionArn('rec-2'), status: 'RUNNING', startedAt: started.toISOString(), stoppedAt: undefined }], next: 'page-2' } });
  });

  it('answers 400 naming a bad limit, an unknown parameter or a token ListExecutions refuses', async () => {
    const res = await call('GET', '/recordings', { query: { limit: '0', page: '2' } });
    expect(res.statusCode).toBe(400);
    expect(res.body.problems).toEqual(['limit: must be a whole number from 1 to 100; got "0"', 'page: not a parameter of GET /recordings (limit, next)']);
    expect(sfn.commandCalls(ListExecutionsCommand)).toHaveLength(0);
    sfn.on(ListExecutionsCommand).rejects(new InvalidToken({ message: 'Invalid Token', $metadata: {} }));
    expect((await call('GET', '/recordings', { query: { next: 'x' } })).statusCode).toBe(400);
  });
});

describe('GET /recordings/{id}', () => {
  it('joins the execution and the recordings table item', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: executionArn('rec-1'), status: 'RUNNING', stateMachineArn: STATE_MACHINE, startDate: new Date('2026-11-23T09:00:00Z') });
    db.on(QueryCommand).resolves({ Items: [item()] });
    const res = await call('GET', '/recordings/{id}', { id: 'rec-1' });
    expect(res.body).toEqual({ id: 'rec-1', executionArn: executionArn('rec-1'), status: 'RUNNING', phase: 'RECORDING', startedAt: '2026-11-23T09:00:00.000Z', meetingId: 'm-1', capturePipelineId: 'cap-1', artifacts: [] });
    expect(db.commandCalls(QueryCommand)[0]!.args[0].input).toMatchObject({ IndexName: 'byExecutionName', ExpressionAttributeValues: { ':v': { S: 'rec-1' } } });
  });

  it('gives a SUCCEEDED recording a presigned GET URL per file, signed for the files\' region, valid downloadLinkSeconds', async () => {
    const artifacts = ['s3://rec-bucket/recordings/rec-1/audio/concat-1.mp4', 's3://rec-bucket/recordings/rec-1/composited-video/concat-1.mp4'];
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: executionArn('rec-1'), status: 'SUCCEEDED', stateMachineArn: STATE_MACHINE, startDate: new Date(), stopDate: new Date(), output: JSON.stringify({ artifacts }) });
    // A meeting hosted in eu-west-1 from a stack in us-east-1: its buckets are in eu-west-1.
    db.on(QueryCommand).resolves({ Items: [item({ status: 'SUCCEEDED', mediaRegion: 'eu-west-1', artifacts })] });
    const res = await call('GET', '/recordings/{id}', { id: 'rec-1' });
    const downloads = res.body.downloads as Array<{ uri: string; url: string; expiresAt: string }>;
    expect(downloads.map((d) => d.uri)).toEqual(artifacts);
    for (const [i, d] of downloads.entries()) {
      const url = new URL(d.url);
      expect(`${url.host}${url.pathname}`).toBe(`rec-bucket.s3.eu-west-1.amazonaws.com/${artifacts[i]!.slice('s3://rec-bucket/'.length)}`);
      expect(Object.fromEntries(url.searchParams)).toMatchObject({
        'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
        'X-Amz-Credential': 'AKIDEXAMPLE/20261123/eu-west-1/s3/aws4_request',
        'X-Amz-Date': '20261123T100000Z',
        'X-Amz-Expires': '3600',
        'X-Amz-Security-Token': 'session',
        'X-Amz-SignedHeaders': 'host',
        'X-Amz-Signature': expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      expect(d.expiresAt).toBe('2026-11-23T11:00:00.000Z');
    }
  });

  it('gives no links before a recording succeeds, or when its item was replaced by a later recording of the meeting', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: executionArn('rec-1'), status: 'RUNNING', stateMachineArn: STATE_MACHINE, startDate: new Date() });
    db.on(QueryCommand).resolves({ Items: [item()] });
    expect((await call('GET', '/recordings/{id}', { id: 'rec-1' })).body.downloads).toBeUndefined();
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: executionArn('rec-1'), status: 'SUCCEEDED', stateMachineArn: STATE_MACHINE, startDate: new Date(), output: JSON.stringify({ artifacts: ['s3://b/k.mp4'] }) });
    db.on(QueryCommand).resolves({ Items: [item({ executionId: executionArn('rec-2'), executionName: 'rec-2' })] });
    const replaced = await call('GET', '/recordings/{id}', { id: 'rec-1' });
    expect(replaced.body).toMatchObject({ status: 'SUCCEEDED', artifacts: ['s3://b/k.mp4'] });
    expect(replaced.body.downloads).toBeUndefined();
  });

  it('reads downloadLinkSeconds as SigV4 allows it (1 to 604800), naming the parameter otherwise', () => {
    expect(downloadLinkSeconds(undefined)).toBe(3600);
    expect(downloadLinkSeconds('604800')).toBe(604_800);
    for (const bad of ['0', '604801', '1.5', 'hour', '']) expect(() => downloadLinkSeconds(bad)).toThrow(/DOWNLOAD_LINK_SECONDS .* 1 to 604800 .*downloadLinkSeconds/);
  });

  it('answers 404 for an unknown or malformed id', async () => {
    sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'no', ...meta }));
    expect((await call('GET', '/recordings/{id}', { id: 'missing' })).statusCode).toBe(404);
    expect((await call('GET', '/recordings/{id}', { id: 'bad id' })).statusCode).toBe(404);
  });
});

describe('POST /recordings/{id}/stop', () => {
  beforeEach(() => {
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: executionArn('rec-1'), status: 'RUNNING', stateMachineArn: STATE_MACHINE, startDate: new Date() });
  });

  it.each([true, false])('records the stop and resumes the execution at once, calling no Chime API (created meeting: %s)', async (createdMeeting) => {
    db.on(QueryCommand).resolves({ Items: [item({ createdMeeting })] });
    db.on(UpdateItemCommand).resolves({ Attributes: item({ createdMeeting, meetingEndedAt: 'now', endReason: 'StoppedByRequest' }) });
    const res = await call('POST', '/recordings/{id}/stop', { id: 'rec-1' });
    expect(res.statusCode).toBe(202);
    expect(String(res.body.message)).toMatch(createdMeeting ? /meeting is being ended/ : /capture is being stopped \(the meeting is yours/);
    // The end is recorded (the workflow's next step ends the meeting or the capture, with its retries).
    expect(db.commandCalls(UpdateItemCommand)[0]!.args[0].input.ExpressionAttributeValues).toMatchObject({ ':reason': { S: 'StoppedByRequest' } });
    expect(JSON.parse(sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input.output ?? '{}')).toMatchObject({ reason: 'StoppedByRequest' });
  });

  it('answers 409 before the capture started and after the recording finished', async () => {
    db.on(QueryCommand).resolves({ Items: [] });
    expect((await call('POST', '/recordings/{id}/stop', { id: 'rec-1' })).statusCode).toBe(409);
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: executionArn('rec-1'), status: 'SUCCEEDED', stateMachineArn: STATE_MACHINE, startDate: new Date() });
    expect((await call('POST', '/recordings/{id}/stop', { id: 'rec-1' })).statusCode).toBe(409);
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
  });
});
