import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import YAML from 'yaml';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, PutBucketNotificationConfigurationCommand, PutBucketPolicyCommand, S3Client, type BucketLocationConstraint } from '@aws-sdk/client-s3';
import { policyToApply, requiredGrants } from '../functions/lib/bucket-policy';
import { resolveBehaviours, type BehaviourSettings, type Behaviours } from './core/behaviours';
import { EventBus } from './core/bus';
import { SimClock, type ClockScale } from './core/clock';
import type { CloudContext } from './core/context';
import { Schedules, ratePeriodMs } from './core/schedules';
import { InProcessHttpHandler, routerExchange } from './core/in-process';
import { opened } from './core/open-resources';
import { sleepOnClock } from './core/invocation';
import { ConsoleServer } from './console/server';
import { enforceChimeQuotas, resolveChimeRateLimit, type ChimeRateLimit } from './core/quotas';
import { Router, UNCONFIGURED_CLIENT_PATH, listen } from './core/server';
import { LambdaRuntime } from './lambda';
import { LambdaWorkers } from './lambda-workers';
import { LOCAL_PARTITION, resolveStackValue, stackEnvironment } from './stack';
import type { Pattern } from './core/pattern';
import { ApiGatewayService } from './services/apigateway';
import { DynamoDbService } from './services/dynamodb';
import { EventsService } from './services/events';
import { IamService } from './services/iam';
import { MediaPipelinesService, type MediaPipelineOptions } from './services/media-pipelines';
import { MeetingsService } from './services/meetings';
import { S3Service } from './services/s3';
import { SecretsManagerService } from './services/secretsmanager';
import { StepFunctionsService } from './services/stepfunctions';
import { StsService } from './services/sts';
import { ExecutionRunner } from './sfn/runner';

/**
 * The embedded local cloud: every AWS service the workflow uses, on one loopback port, sharing one
 * simulated clock, one event bus and one fault injector. `deploy()` provisions what the stack would
 * (table, state machine, EventBridge rules, buckets) from serverless.yml, and points the in-process
 * Lambda handlers at this cloud through the SDK's standard environment variables.
 *
 * The handlers read their configuration from process.env, so one process runs one local cloud.
 */
export interface LocalCloudOptions {
  /** 0 picks a free port. */
  port?: number;
  /** Where AWS leaves a behaviour open, which variant to run (local/core/behaviours.ts); default each one's default. */
  behaviour?: BehaviourSettings;
  /** Persisted state (S3 objects as files, IAM roles); default `.local` in the repo. */
  dataDir?: string;
  /**
   * How simulated time passes: 'virtual' (default) moves it only through fastForward, whenever nothing is
   * at work, so nothing depends on the machine's speed; a number runs it that many times faster than real
   * time, for a server that tools call whenever they like (local/core/clock.ts).
   */
  scale?: ClockScale;
  region?: string;
  account?: string;
  /** Keep DynamoDB tables on disk under dataDir (default: in memory). */
  persistTables?: boolean;
  pipelines?: MediaPipelineOptions;
  /**
   * Chime's request quotas (local/core/quotas.ts): rate per simulated second, burst, and whether Meetings
   * has one bucket or one per API; default 10/s, burst 20, per service; false disables throttling.
   */
  chimeRateLimit?: ChimeRateLimit | false;
  /**
   * How the in-process Lambda handlers' SDK clients reach the cloud: handed to its router inside the
   * process (default; everything but the socket and HTTP framing is the same), or over the HTTP port.
   */
  lambdaTransport?: 'in-process' | 'http';
  /**
   * Worker threads that run the Lambda handlers (default 0: they run in the cloud's own thread). With
   * one or more, the services and the handlers use separate cores (local/lambda-workers.ts).
   */
  lambdaThreads?: number;
  /**
   * Run serverless.yml's EventBridge schedule rules (the reconciler) on simulated time. Off unless asked
   * (npm run cloud and npm start ask): a test fast-forwarding through a day would otherwise run a pass every
   * few simulated minutes.
   */
  schedules?: boolean;
}

export interface Deployment {
  stateMachineArn: string;
  tableName: string;
  captureBucket: string;
  concatenationBucket: string;
  /** Base URL of the recordings API (SigV4-signed for execute-api). */
  apiUrl: string;
  /** The Source of the recording events the state machine publishes (`<service>.<stage>`). */
  eventSource: string;
}

export const REPO_ROOT = path.resolve(__dirname, '..');

/** serverless.yml's chimeRequestRate and chimeRequestBurst for a local cloud enforcing `limit`. */
export function chimeBudgetParams(limit: Required<ChimeRateLimit> | false): { chimeRequestRate: string; chimeRequestBurst: string } {
  return limit ? { chimeRequestRate: String(0.9 * limit.rate), chimeRequestBurst: String(limit.burst) } : { chimeRequestRate: '0', chimeRequestBurst: '1' };
}

export class LocalCloud {
  readonly ctx: CloudContext;
  readonly router: Router;
  readonly s3: S3Service;
  readonly iam: IamService;
  readonly meetings: MeetingsService;
  readonly pipelines: MediaPipelinesService;
  readonly dynamodb: DynamoDbService;
  readonly stepFunctions: StepFunctionsService;
  readonly lambda: LambdaRuntime;
  readonly api: ApiGatewayService;
  /** The Chime request quota this cloud enforces (false: none). */
  private readonly chimeLimit: Required<ChimeRateLimit> | false;
  readonly secrets: SecretsManagerService;
  /** The read-only web console at the endpoint's `/` (local/console/server.ts). */
  readonly console: ConsoleServer;
  readonly schedules: Schedules;
  private server?: http.Server;
  private closed?: () => void;
  port = 0;

  private constructor(readonly options: LocalCloudOptions) {
    const threads = options.lambdaThreads ?? 0;
    if (!(Number.isInteger(threads) && threads >= 0)) throw new Error(`lambdaThreads must be a whole number >= 0 (worker threads for the Lambda handlers; 0 runs them in the cloud's thread), got ${threads}`);
    const region = options.region ?? 'us-east-1';
    const account = options.account ?? '123456789012';
    const clock = new SimClock(options.scale ?? 'virtual');
    const dataDir = path.resolve(options.dataDir ?? path.join(REPO_ROOT, '.local'));
    fs.mkdirSync(dataDir, { recursive: true });
    const behaviours = resolveBehaviours(options.behaviour);
    this.ctx = { clock, bus: new EventBus(clock, account, region, behaviours), account, region, dataDir, behaviours };
    this.router = new Router(region, clock);
    this.s3 = new S3Service(this.ctx);
    this.iam = new IamService(this.ctx);
    this.meetings = new MeetingsService(this.ctx);
    this.pipelines = new MediaPipelinesService(this.ctx, { s3: this.s3, iam: this.iam, meetings: this.meetings }, options.pipelines);
    this.dynamodb = new DynamoDbService({ path: options.persistTables ? path.join(dataDir, 'dynamodb') : undefined });
    this.lambda = new LambdaRuntime(REPO_ROOT, account, region, clock);
    // The state machine's events:putEvents tasks call EventBridge through the router, as any caller would
    // (faults and the bus's rules apply).
    this.stepFunctions = new StepFunctionsService(this.ctx, new ExecutionRunner(clock, this.lambda, (entries) => this.eventBridge().send(new PutEventsCommand({ Entries: entries as PutEventsRequestEntry[] }))));
    this.api = new ApiGatewayService(this.ctx, this.lambda);
    this.secrets = new SecretsManagerService(this.ctx);
    this.schedules = new Schedules(clock, account, region);
    for (const service of [this.s3, this.iam, this.meetings, this.pipelines, this.dynamodb, this.stepFunctions, this.secrets, new EventsService(this.ctx.bus), new StsService(this.ctx)]) {
      this.router.register(service);
    }
    // Last: it also answers unsigned requests under the stage path (with API Gateway's 403).
    this.router.register(this.api);
    this.console = new ConsoleServer({ ctx: this.ctx, router: this.router, stepFunctions: this.stepFunctions, s3: this.s3, onHistory: this.stepFunctions.runner.historyListeners });
    const limit = resolveChimeRateLimit(options.chimeRateLimit);
    if (limit) enforceChimeQuotas(this.router, clock, limit);
    this.chimeLimit = limit;
  }

  static async start(options: LocalCloudOptions = {}): Promise<LocalCloud> {
    const cloud = new LocalCloud(options);
    const { server, port } = await listen(cloud.router, options.port ?? 4566, cloud.ctx.region, cloud.console.serve);
    cloud.server = server;
    cloud.port = port;
    cloud.closed = opened(`a LocalCloud on port ${port}`);
    return cloud;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The local console's address. */
  get consoleUrl(): string {
    return `${this.endpoint}/`;
  }

  get clock(): SimClock {
    return this.ctx.clock;
  }

  get bus(): EventBus {
    return this.ctx.bus;
  }

  get behaviours(): Readonly<Behaviours> {
    return this.ctx.behaviours;
  }

  /**
   * Switches behaviours while the cloud runs (the rest keep what they were); answers the previous
   * settings, to restore with the same call.
   */
  useBehaviours(settings: BehaviourSettings): Behaviours {
    const previous = { ...this.ctx.behaviours };
    const next = resolveBehaviours(settings === 'pessimistic' ? settings : { ...previous, ...settings });
    Object.assign(this.ctx.behaviours, next);
    this.console.changed();
    return previous;
  }

  /**
   * SDK client configuration for talking to this cloud from this process (tests, tools, the simulated
   * application): requests reach the router directly, so a caller awaiting one holds simulated time
   * still from the moment it is sent, as no socket could; `transport: 'http'` goes through the port.
   */
  private events?: EventBridgeClient;
  /** The client the state machine's EventBridge tasks send with (made on first use, closed with the cloud). */
  private eventBridge(): EventBridgeClient {
    this.events ??= new EventBridgeClient(this.clientConfig());
    return this.events;
  }

  clientConfig(opts: { transport?: 'in-process' | 'http' } = {}) {
    return {
      endpoint: this.endpoint,
      region: this.ctx.region,
      credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' },
      forcePathStyle: true,
      maxAttempts: 1,
      ...(opts.transport === 'http' ? {} : { requestHandler: new InProcessHttpHandler(this.router, this.ctx.region) }),
    };
  }

  /**
   * Provisions what `serverless deploy` would: the recordings table (schema from serverless.yml), the
   * buckets with the media pipelines grant, the state machine and the EventBridge rules; then sets the
   * environment the handlers read (the stack's provider.environment with local values).
   */
  async deploy(opts: { captureBucket?: string; concatenationBucket?: string; stage?: string } = {}): Promise<Deployment> {
    const stage = opts.stage ?? 'local';
    const doc = YAML.parse(fs.readFileSync(path.join(REPO_ROOT, 'serverless.yml'), 'utf8')) as ServerlessDoc;
    // The stack's own buckets (createBuckets): raw chunks in one, finished files in the other.
    const captureBucket = opts.captureBucket ?? 'chime-recording-local-capture';
    const concatenationBucket = opts.concatenationBucket ?? 'chime-recording-local-recordings';
    const tableName = `chime-recording-${stage}-recordings`;
    const machineName = `chime-recording-${stage}-recording`;

    await this.createTable(tableName, doc);
    for (const bucket of new Set([captureBucket, concatenationBucket])) {
      await this.createBucket(bucket, { captureSink: bucket === captureBucket, concatenationSink: bucket === concatenationBucket });
    }
    // As resources/buckets.yml sets the created concatenation bucket (not one that holds chunks too).
    if (concatenationBucket !== captureBucket) await this.sendEventsToEventBridge(concatenationBucket);

    const stateMachineArn = `arn:aws:states:${this.ctx.region}:${this.ctx.account}:stateMachine:${machineName}`;
    // The environment serverless.yml gives the functions, as a deploy with the stack's own buckets
    // (createBuckets) resolves it, and what Lambda's runtime sets besides. Only the product's registry of
    // SDK clients is configured to reach the services at AWS_ENDPOINT_URL (local/lambda.ts).
    const stack = {
      root: REPO_ROOT,
      stage,
      region: this.ctx.region,
      account: this.ctx.account,
      // The stack's Chime request budget as an operator would set it for this account: a little under
      // the quota (serverless.yml's default, 9 of 10 a second), none where the quota is lifted.
      params: { createBuckets: 'true', ...chimeBudgetParams(this.chimeLimit) },
      resources: {
        RecordingsTable: { ref: tableName, arn: `arn:aws:dynamodb:${this.ctx.region}:${this.ctx.account}:table/${tableName}` },
        RecordingStateMachine: { ref: stateMachineArn },
        CaptureBucket: { ref: captureBucket, arn: `arn:aws:s3:::${captureBucket}` },
        ConcatenationBucket: { ref: concatenationBucket, arn: `arn:aws:s3:::${concatenationBucket}` },
      },
    };
    // How much the handlers log is the local console's to decide (local/quiet.ts, or a test's setting).
    const { POWERTOOLS_LOG_LEVEL: stackLogLevel, ...stackEnv } = stackEnvironment(stack);
    process.env.POWERTOOLS_LOG_LEVEL ??= stackLogLevel;
    Object.assign(process.env, stackEnv, {
      AWS_ENDPOINT_URL: `${this.endpoint}${UNCONFIGURED_CLIENT_PATH}`,
      AWS_REGION: this.ctx.region,
      AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
      AWS_SECRET_ACCESS_KEY: 'local',
    });
    const inProcess = (this.options.lambdaTransport ?? 'in-process') === 'in-process';
    const threads = this.options.lambdaThreads ?? 0;
    if (threads > 0) {
      if (!this.lambda.inWorkers) {
        const setup = { root: REPO_ROOT, account: this.ctx.account, region: this.ctx.region, routeSdkToCloud: inProcess };
        this.lambda.runIn(await LambdaWorkers.start(threads, setup, routerExchange(this.router, this.ctx.region), () => this.clock.now(), (ms, hold) => sleepOnClock(this.clock, hold, ms)));
      }
    } else {
      this.lambda.preload();
      this.lambda.useRequestHandler(inProcess ? new InProcessHttpHandler(this.router, this.ctx.region) : undefined);
    }

    for (const spec of this.lambda.specs.values()) {
      spec.eventRules.forEach((rule, i) => {
        const name = `${spec.name}-rule-${i + 1}`;
        const pattern = resolveStackValue(stack, rule.pattern, `functions.${spec.name}.events[${i}].eventBridge.pattern`) as Pattern;
        this.bus.addRule({ name, pattern, retryPolicy: rule.retryPolicy, target: (event) => this.lambda.invoke(spec.name, event, { eventId: event.id }) });
      });
      if (this.options.schedules !== true) continue;
      spec.schedules.forEach((expression, i) => {
        const where = `functions.${spec.name}.events (schedule ${i + 1})`;
        const period = ratePeriodMs(String(resolveStackValue(stack, expression, where)), `serverless.yml ${where}`);
        this.schedules.add(scheduleRuleName(spec.name, i), period, (event) => this.lambda.invoke(spec.name, event));
      });
    }

    const machine = doc.stepFunctions?.stateMachines?.recording;
    const file = /\$\{file\((.+)\)\}/.exec(String(machine?.definition ?? ''))?.[1];
    if (!file) throw new Error('serverless.yml: stepFunctions.stateMachines.recording.definition must be ${file(...)}');
    // The Serverless Framework resolves its variables in the included file too (the events' Source).
    const definition = fs.readFileSync(path.join(REPO_ROOT, file), 'utf8').replaceAll('${sls:stage}', stage).replaceAll('${self:service}', String(doc.service));
    this.stepFunctions.createStateMachine(machineName, definition, '');
    this.api.deploy(stage);
    return { stateMachineArn, tableName, captureBucket, concatenationBucket, apiUrl: `${this.endpoint}/${stage}`, eventSource: `${doc.service}.${stage}` };
  }

  /** Turns on the bucket's Object Created (and other) events to EventBridge, as a user or the stack would. */
  async sendEventsToEventBridge(bucket: string): Promise<void> {
    const s3 = new S3Client(this.clientConfig());
    try {
      await s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration: { EventBridgeConfiguration: {} } }));
    } finally {
      s3.destroy();
    }
  }

  /** Creates a bucket granting the media pipelines service what its roles need (as a user would set it up). */
  async createBucket(bucket: string, roles: { captureSink: boolean; concatenationSink: boolean }, region = this.ctx.region): Promise<void> {
    const s3 = new S3Client(this.clientConfig());
    try {
      if (!this.s3.bucket(bucket)) {
        await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: region === 'us-east-1' ? undefined : { LocationConstraint: region as BucketLocationConstraint } }));
      }
      const policy = policyToApply(undefined, requiredGrants(bucket, roles, LOCAL_PARTITION), { account: this.ctx.account, partition: LOCAL_PARTITION });
      await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(policy) }));
    } finally {
      s3.destroy();
    }
  }

  private async createTable(tableName: string, doc: ServerlessDoc): Promise<void> {
    const props = doc.resources?.Resources?.RecordingsTable?.Properties;
    if (!props) throw new Error('serverless.yml: resources.Resources.RecordingsTable is missing');
    const db = new DynamoDBClient(this.clientConfig());
    try {
      await db
        .send(
          new CreateTableCommand({
            TableName: tableName,
            BillingMode: props.BillingMode,
            AttributeDefinitions: props.AttributeDefinitions,
            KeySchema: props.KeySchema,
            GlobalSecondaryIndexes: props.GlobalSecondaryIndexes,
          } as CreateTableCommandInput),
        )
        .catch((err: unknown) => {
          if (!(err instanceof Error && err.name === 'ResourceInUseException')) throw err;
        });
      // As CloudFormation does, the deploy is done when the table is ACTIVE (dynalite: a real timer away).
      while ((await db.send(new DescribeTableCommand({ TableName: tableName }))).Table?.TableStatus !== 'ACTIVE') await new Promise((r) => setTimeout(r, 1));
    } finally {
      db.destroy();
    }
  }

  /** True when nothing is at work (no request answered, no handler running): only timers are pending. */
  idle(): boolean {
    return this.clock.idle;
  }

  /**
   * Waits for `until` while moving simulated time forward: whenever nothing is at work, the clock jumps
   * to its next timer (a safety-net timeout, a pipeline finishing, Chime's idle end, a retry's backoff).
   * Work in flight always finishes first, so skipping never distorts it. `pace` (simulated ms per real
   * ms) slows the jumps down to a speed a person can follow.
   */
  fastForward<T>(until: Promise<T>, opts: { pace?: number } = {}): Promise<T> {
    return this.clock.run(until, opts);
  }

  /**
   * Meetings still active, and pipelines still active that nobody asked to delete (leak check). A
   * pipeline AWS keeps running after DeleteMediaPipeline (behaviour concatenation-deletion) is not an
   * orphan of the workflow: keptRunning() counts those.
   */
  orphans(): { meetings: number; pipelines: number } {
    return { meetings: this.meetings.activeMeetings().length, pipelines: this.pipelines.activePipelines().filter((p) => !p.deletionRequested).length };
  }

  /** Pipelines still active although DeleteMediaPipeline was asked to delete them (refused, or accepted and ignored). */
  keptRunning(): number {
    return this.pipelines.activePipelines().filter((p) => p.deletionRequested).length;
  }

  /**
   * Shuts everything down: no new requests, running executions aborted (as StopExecution would), work in
   * flight finished, then every timer cancelled, so nothing (an event waiting for redelivery, a meeting's
   * 24-hour limit) outlives the cloud.
   */
  async close(): Promise<void> {
    this.console.close();
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    await this.stepFunctions.runner.close();
    await this.clock.settled();
    this.clock.stop();
    await this.lambda.close();
    this.events?.destroy();
    await this.router.close();
    this.closed?.();
    if (this.router.unconfiguredClientCalls > 0) {
      throw new Error(`${this.router.unconfiguredClientCalls} request(s) came from AWS SDK clients made outside functions/lib/clients, which the local cloud refused (see its stderr)`);
    }
  }
}

/** The local name of a function's schedule rule (its `i`-th schedule event). */
export function scheduleRuleName(functionName: string, i = 0): string {
  return `${functionName}-schedule-${i + 1}`;
}

interface ServerlessDoc {
  service?: string;
  params?: { default?: Record<string, string> };
  functions?: Record<string, { environment?: Record<string, unknown> }>;
  stepFunctions?: { stateMachines?: Record<string, { definition?: unknown }> };
  resources?: { Resources?: Record<string, { Properties?: Record<string, unknown> & { BillingMode?: string; AttributeDefinitions?: unknown; KeySchema?: unknown; GlobalSecondaryIndexes?: unknown } }> };
}
