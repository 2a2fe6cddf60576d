import type { CloudContext } from '../core/context';
import { ServiceError, awsJsonError, json, parseJsonBody, type LocalRequest, type LocalResponse, type Service } from '../core/service';
import type { HistoryEvent } from '../sfn/history';
import { ExecutionRunner, type Execution } from '../sfn/runner';

/**
 * Step Functions (awsJson 1.0, target `AWSStepFunctions.<Operation>`): the state machine and execution
 * calls the workflow, its API and its tools make, backed by ExecutionRunner.
 */
interface StateMachineRecord {
  stateMachineArn: string;
  name: string;
  definition: string;
  roleArn: string;
  type: 'STANDARD' | 'EXPRESS';
  creationDate: number;
}

// Execution and state machine names: 1..80 characters, no whitespace, wildcards, brackets or control characters.
const NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/;
const MAX_INPUT_BYTES = 256 * 1024;

export class StepFunctionsService implements Service {
  readonly name = 'states';
  readonly signingNames = ['states'] as const;
  readonly stateMachines = new Map<string, StateMachineRecord>();
  readonly executions = new Map<string, Execution>();

  constructor(
    private readonly ctx: CloudContext,
    readonly runner: ExecutionRunner,
  ) {}

  operation(req: LocalRequest): string | undefined {
    const target = req.headers['x-amz-target'] ?? '';
    return target.startsWith('AWSStepFunctions.') ? target.slice('AWSStepFunctions.'.length) : undefined;
  }

  async handle(operation: string, req: LocalRequest): Promise<LocalResponse> {
    const body = parseJsonBody(req);
    const ok = (value: unknown) => json(200, value, { 'content-type': 'application/x-amz-json-1.0' });
    switch (operation) {
      case 'CreateStateMachine':
        return ok(this.createStateMachine(str(body.name, 'name'), str(body.definition, 'definition'), String(body.roleArn ?? ''), body.type === 'EXPRESS' ? 'EXPRESS' : 'STANDARD'));
      case 'DescribeStateMachine': {
        const sm = this.stateMachine(str(body.stateMachineArn, 'stateMachineArn'));
        return ok({ ...sm, creationDate: sm.creationDate / 1000, status: 'ACTIVE' });
      }
      case 'ListStateMachines':
        return ok({ stateMachines: [...this.stateMachines.values()].map((s) => ({ stateMachineArn: s.stateMachineArn, name: s.name, type: s.type, creationDate: s.creationDate / 1000 })) });
      case 'StartExecution': {
        const e = this.startExecution(str(body.stateMachineArn, 'stateMachineArn'), typeof body.name === 'string' ? body.name : undefined, typeof body.input === 'string' ? body.input : '{}');
        return ok({ executionArn: e.executionArn, startDate: e.startDate / 1000 });
      }
      case 'DescribeExecution':
        return ok(describe(this.execution(str(body.executionArn, 'executionArn'))));
      case 'StopExecution': {
        const e = this.execution(str(body.executionArn, 'executionArn'));
        if (e.status === 'RUNNING') e.abort(typeof body.error === 'string' ? body.error : undefined, typeof body.cause === 'string' ? body.cause : undefined);
        await e.done;
        return ok({ stopDate: (e.stopDate ?? this.ctx.clock.now()) / 1000 });
      }
      case 'ListExecutions': {
        const arn = str(body.stateMachineArn, 'stateMachineArn');
        this.stateMachine(arn);
        const list = [...this.executions.values()]
          .filter((e) => e.stateMachineArn === arn && (!body.statusFilter || e.status === body.statusFilter))
          .sort((a, b) => b.startDate - a.startDate);
        return ok(page(list.map(summary), 'executions', body));
      }
      case 'GetExecutionHistory': {
        const e = this.execution(str(body.executionArn, 'executionArn'));
        const includeData = body.includeExecutionData !== false;
        const events = (body.reverseOrder ? [...e.history].reverse() : e.history).map((h) => wireEvent(h, includeData));
        return ok(page(events, 'events', body));
      }
      case 'SendTaskSuccess':
        this.runner.sendSuccess(str(body.taskToken, 'taskToken'), str(body.output, 'output'));
        return ok({});
      case 'SendTaskFailure':
        this.runner.sendFailure(str(body.taskToken, 'taskToken'), optional(body.error), optional(body.cause));
        return ok({});
      case 'SendTaskHeartbeat':
        this.runner.heartbeat(str(body.taskToken, 'taskToken'));
        return ok({});
      default:
        throw new ServiceError('UnknownOperationException', 400, `The local cloud does not implement Step Functions ${operation}.`);
    }
  }

  errorResponse(err: ServiceError): LocalResponse {
    return awsJsonError(err);
  }

  createStateMachine(name: string, definition: string, roleArn: string, type: 'STANDARD' | 'EXPRESS' = 'STANDARD'): { stateMachineArn: string; creationDate: number } {
    if (!NAME.test(name)) throw new ServiceError('InvalidName', 400, `Invalid State Machine Name: '${name}'`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(definition);
    } catch {
      throw new ServiceError('InvalidDefinition', 400, 'Invalid State Machine Definition: not JSON.');
    }
    this.runner.resolveDefinition(parsed);
    const stateMachineArn = `arn:aws:states:${this.ctx.region}:${this.ctx.account}:stateMachine:${name}`;
    const existing = this.stateMachines.get(stateMachineArn);
    if (existing && existing.definition !== definition) throw new ServiceError('StateMachineAlreadyExists', 400, `State Machine Already Exists: '${stateMachineArn}'`);
    const record = existing ?? { stateMachineArn, name, definition, roleArn, type, creationDate: this.ctx.clock.now() };
    this.stateMachines.set(stateMachineArn, record);
    return { stateMachineArn, creationDate: record.creationDate / 1000 };
  }

  /**
   * Starts an execution. A running Standard execution with the same name and input is returned again
   * (that is what makes retried StartExecution calls idempotent); any other reuse of a name fails.
   */
  startExecution(stateMachineArn: string, name: string | undefined, input: string): Execution {
    const sm = this.stateMachine(stateMachineArn);
    const execName = name ?? globalThis.crypto.randomUUID();
    if (!NAME.test(execName)) throw new ServiceError('InvalidName', 400, `Invalid Execution Name: '${execName}'`);
    if (Buffer.byteLength(input) > MAX_INPUT_BYTES) throw new ServiceError('InvalidExecutionInput', 400, 'Input exceeds the 256 KiB limit.');
    try {
      JSON.parse(input);
    } catch {
      throw new ServiceError('InvalidExecutionInput', 400, 'Invalid execution input: not JSON.');
    }
    const executionArn = `arn:aws:states:${this.ctx.region}:${this.ctx.account}:execution:${sm.name}:${execName}`;
    const existing = this.executions.get(executionArn);
    if (existing) {
      if (existing.status === 'RUNNING' && existing.input === input) return existing;
      throw new ServiceError('ExecutionAlreadyExists', 400, `Execution Already Exists: '${executionArn}'`);
    }
    const execution = this.runner.start(this.runner.resolveDefinition(JSON.parse(sm.definition)), { executionArn, stateMachineArn, name: execName, input });
    this.executions.set(executionArn, execution);
    return execution;
  }

  execution(executionArn: string): Execution {
    const e = this.executions.get(executionArn);
    if (!e) throw new ServiceError('ExecutionDoesNotExist', 400, `Execution Does Not Exist: '${executionArn}'`);
    return e;
  }

  private stateMachine(arn: string): StateMachineRecord {
    const sm = this.stateMachines.get(arn);
    if (!sm) throw new ServiceError('StateMachineDoesNotExist', 400, `State Machine Does Not Exist: '${arn}'`);
    return sm;
  }
}

function describe(e: Execution) {
  return {
    executionArn: e.executionArn,
    stateMachineArn: e.stateMachineArn,
    name: e.name,
    status: e.status,
    startDate: e.startDate / 1000,
    stopDate: e.stopDate === undefined ? undefined : e.stopDate / 1000,
    input: e.input,
    output: e.output,
    error: e.error,
    cause: e.cause,
  };
}

function summary(e: Execution) {
  return { executionArn: e.executionArn, stateMachineArn: e.stateMachineArn, name: e.name, status: e.status, startDate: e.startDate / 1000, stopDate: e.stopDate === undefined ? undefined : e.stopDate / 1000 };
}

function wireEvent(h: HistoryEvent, includeData: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { ...h, timestamp: h.timestamp / 1000 };
  if (!includeData) {
    for (const [k, v] of Object.entries(out)) {
      if (k.endsWith('EventDetails') && v && typeof v === 'object') {
        const { input: _i, output: _o, parameters: _p, ...rest } = v as Record<string, unknown>;
        out[k] = rest;
      }
    }
  }
  return out;
}

function page<T>(items: T[], key: string, body: Record<string, unknown>): Record<string, unknown> {
  const max = typeof body.maxResults === 'number' && body.maxResults > 0 ? Math.min(body.maxResults, 1000) : 1000;
  const start = typeof body.nextToken === 'string' ? Number(Buffer.from(body.nextToken, 'base64url').toString()) : 0;
  // InvalidToken: in the model's errors of every paginated Step Functions List/Get operation.
  if (!(Number.isInteger(start) && start >= 0)) throw new ServiceError('InvalidToken', 400, 'Invalid Token: the nextToken was not returned by a previous call');
  const slice = items.slice(start, start + max);
  const next = start + max < items.length ? Buffer.from(String(start + max)).toString('base64url') : undefined;
  return { [key]: slice, nextToken: next };
}

function str(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new ServiceError('ValidationException', 400, `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must not be null`);
  return value;
}

function optional(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
