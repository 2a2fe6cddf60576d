import path from 'node:path';
import { SFNClient, SendTaskSuccessCommand, StartExecutionCommand, GetExecutionHistoryCommand, DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { EventBus } from '../../../local/core/bus';
import { SimClock } from '../../../local/core/clock';
import { Router, listen } from '../../../local/core/server';
import { LambdaRuntime } from '../../../local/lambda';
import { StepFunctionsService } from '../../../local/services/stepfunctions';
import { ExecutionRunner } from '../../../local/sfn/runner';
import { failNext, parked } from '../../fixtures/sfn-app/fns/handlers';
import { closeServer } from '../../fixtures/async';

const root = path.resolve(__dirname, '../../fixtures/sfn-app');
const fn = (name: string) => ({ 'Fn::GetAtt': [`${name[0]!.toUpperCase()}${name.slice(1)}LambdaFunction`, 'Arn'] });
const retry = { ErrorEquals: ['Busy'], IntervalSeconds: 60, MaxAttempts: 3, BackoffRate: 2, JitterStrategy: 'FULL' };
const definition = {
  StartAt: 'Echo',
  States: {
    Echo: { Type: 'Task', Resource: fn('echo'), Parameters: { 'name.$': '$$.Execution.Name', 'in.$': '$' }, ResultPath: '$.echo', Next: 'Flaky' },
    Flaky: { Type: 'Task', Resource: fn('flaky'), Retry: [retry], Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Failed' }], ResultPath: '$.flaky', Next: 'Pause' },
    Pause: { Type: 'Wait', Seconds: 3600, Next: 'Park' },
    Park: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: fn('park'), Payload: { 'token.$': '$$.Task.Token' } },
      TimeoutSeconds: 600,
      ResultPath: '$.parked',
      Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.timedOut', Next: 'Done' }],
      Next: 'Done',
    },
    Done: { Type: 'Succeed' },
    Failed: { Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' },
  },
};

let server: Awaited<ReturnType<typeof listen>>['server'];
let client: SFNClient;
let sfn: StepFunctionsService;
let machineArn: string;

beforeAll(async () => {
  // 3,600x: the one-hour Wait takes one real second at most; the 600 s token timeout 167 ms.
  const clock = new SimClock(3600 * 4);
  const ctx = { clock, bus: new EventBus(clock, '123456789012', 'us-east-1'), account: '123456789012', region: 'us-east-1', dataDir: '/tmp' };
  sfn = new StepFunctionsService(ctx, new ExecutionRunner(clock, new LambdaRuntime(root, '123456789012', 'us-east-1')));
  const router = new Router('us-east-1');
  router.register(sfn);
  const started = await listen(router, 0, 'us-east-1');
  server = started.server;
  client = new SFNClient({ endpoint: `http://127.0.0.1:${started.port}`, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
  machineArn = sfn.createStateMachine('fixture', JSON.stringify(definition), '').stateMachineArn;
});
afterAll(async () => {
  client.destroy();
  await closeServer(server);
});

async function waitFor<T>(probe: () => T | undefined, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('local Step Functions', () => {
  it('runs a definition with compressed waits, retries and a task-token callback, and reports AWS-shaped history', async () => {
    failNext(2);
    parked.length = 0;
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: machineArn, name: 'first', input: '{"x":1}' }));
    const token = await waitFor(() => parked[0]);
    await client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"resumed":true}' }));
    await sfn.execution(executionArn!).done;
    const described = await client.send(new DescribeExecutionCommand({ executionArn }));
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output!)).toEqual({ x: 1, echo: { echoed: { name: 'first', in: { x: 1 } } }, flaky: { ok: true }, parked: { resumed: true } });
    const { events } = await client.send(new GetExecutionHistoryCommand({ executionArn }));
    const types = events!.map((e) => e.type);
    expect(types[0]).toBe('ExecutionStarted');
    expect(types.filter((t) => t === 'LambdaFunctionFailed')).toHaveLength(2);
    expect(types).toContain('WaitStateEntered');
    expect(types.at(-1)).toBe('ExecutionSucceeded');
    // Echo, Flaky (+2 retries), Pause, Park, Done.
    expect(sfn.execution(executionArn!).transitions).toBe(7);
    // A spent token is TaskTimedOut, an unknown one TaskDoesNotExist.
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))).rejects.toMatchObject({ name: 'TaskTimedOut' });
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: 'AQBnope', output: '{}' }))).rejects.toMatchObject({ name: 'TaskDoesNotExist' });
  });

  it('times out a task token on simulated time and fails with the retried error once attempts run out', async () => {
    failNext(0);
    const e = sfn.startExecution(machineArn, 'second', '{}');
    await e.done;
    expect(e.status).toBe('SUCCEEDED');
    expect(JSON.parse(e.output!).timedOut).toMatchObject({ Error: 'States.Timeout' });
    failNext(10);
    const f = sfn.startExecution(machineArn, 'third', '{}');
    await f.done;
    expect(f.status).toBe('FAILED');
    expect(f.error).toBe('Busy');
    expect(JSON.parse(f.cause!)).toEqual({ errorType: 'Busy', errorMessage: 'try again', trace: [] });
  });

  it('returns a running execution for the same name and input, and refuses other reuse', async () => {
    failNext(0);
    parked.length = 0;
    const a = await client.send(new StartExecutionCommand({ stateMachineArn: machineArn, name: 'same', input: '{}' }));
    const b = await client.send(new StartExecutionCommand({ stateMachineArn: machineArn, name: 'same', input: '{}' }));
    expect(b.executionArn).toBe(a.executionArn);
    await expect(client.send(new StartExecutionCommand({ stateMachineArn: machineArn, name: 'same', input: '{"y":2}' }))).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    await expect(client.send(new StartExecutionCommand({ stateMachineArn: machineArn, name: 'bad name', input: '{}' }))).rejects.toMatchObject({ name: 'InvalidName' });
    await expect(client.send(new StartExecutionCommand({ stateMachineArn: machineArn, input: 'not json' }))).rejects.toMatchObject({ name: 'InvalidExecutionInput' });
    await sfn.execution(a.executionArn!).done;
  });

  it('counts an execution as pausing while it waits to retry, so fast-forwarding cannot skip past the retry', async () => {
    // 60 s between attempts at 600x: a 100 ms real pause, which the library sleeps on a real timer.
    const clock = new SimClock(600);
    const runner = new ExecutionRunner(clock, new LambdaRuntime(root, '123456789012', 'us-east-1'));
    const service = new StepFunctionsService({ clock, bus: new EventBus(clock, '123456789012', 'us-east-1'), account: '123456789012', region: 'us-east-1', dataDir: '/tmp' }, runner);
    const retryOnce = { StartAt: 'Flaky', States: { Flaky: { Type: 'Task', Resource: fn('flaky'), Retry: [{ ErrorEquals: ['Busy'], IntervalSeconds: 60, MaxAttempts: 1 }], End: true } } };
    const arn = service.createStateMachine('retry-once', JSON.stringify(retryOnce), '').stateMachineArn;
    failNext(1);
    const execution = service.startExecution(arn, 'retry-pause', '{}');
    await waitFor(() => (runner.waiting === 1 ? true : undefined));
    expect(execution.status).toBe('RUNNING');
    await execution.done;
    expect(execution.status).toBe('SUCCEEDED');
    expect(runner.waiting).toBe(0);
    clock.stop();
  });
});
