import path from 'node:path';
import { SFNClient, SendTaskSuccessCommand, StartExecutionCommand, GetExecutionHistoryCommand, DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { EventBus } from '../../../local/core/bus';
import { resolveBehaviours } from '../../../local/core/behaviours';
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

let clock: SimClock;
let server: Awaited<ReturnType<typeof listen>>['server'];
let client: SFNClient;
let sfn: StepFunctionsService;
let machineArn: string;

beforeAll(async () => {
  clock = new SimClock('virtual');
  const ctx = { clock, bus: new EventBus(clock, '123456789012', 'us-east-1'), account: '123456789012', region: 'us-east-1', dataDir: '/tmp', behaviours: resolveBehaviours() };
  sfn = new StepFunctionsService(ctx, new ExecutionRunner(clock, new LambdaRuntime(root, '123456789012', 'us-east-1')));
  const router = new Router('us-east-1', clock);
  router.register(sfn);
  const started = await listen(router, 0, 'us-east-1');
  server = started.server;
  client = new SFNClient({ endpoint: `http://127.0.0.1:${started.port}`, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
  machineArn = sfn.createStateMachine('fixture', JSON.stringify(definition), '').stateMachineArn;
});
afterAll(async () => {
  client.destroy();
  await closeServer(server);
  await sfn.runner.close();
  clock.stop();
});

describe('local Step Functions', () => {
  it('runs a definition with compressed waits, retries and a task-token callback, and reports AWS-shaped history', async () => {
    failNext(2);
    parked.length = 0;
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: machineArn, name: 'first', input: '{"x":1}' }));
    const started = clock.now();
    await clock.until(() => parked.length > 0);
    const token = parked[0]!;
    // Two retries (60 s, then 120 s at most, fully jittered) and the one-hour Wait, all on simulated time.
    expect(clock.now() - started).toBeGreaterThanOrEqual(3600_000);
    expect(clock.now() - started).toBeLessThanOrEqual(3600_000 + 180_000);
    await client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"resumed":true}' }));
    await clock.run(sfn.execution(executionArn!).done);
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
    const started = clock.now();
    await clock.run(e.done);
    expect(e.status).toBe('SUCCEEDED');
    // The one-hour Wait, then the 600 s the token waited.
    expect(clock.now() - started).toBe(3600_000 + 600_000);
    expect(JSON.parse(e.output!).timedOut).toMatchObject({ Error: 'States.Timeout' });
    failNext(10);
    const f = sfn.startExecution(machineArn, 'third', '{}');
    await clock.run(f.done);
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
    await clock.until(() => parked.length > 0);
    await client.send(new SendTaskSuccessCommand({ taskToken: parked[0]!, output: '{}' }));
    await clock.run(sfn.execution(a.executionArn!).done);
  });

  it('pauses on simulated time only: real time passing moves nothing, and a frozen real clock stops nothing', async () => {
    failNext(1);
    parked.length = 0;
    const e = sfn.startExecution(machineArn, 'frozen', '{}');
    // Real time alone: the execution sits in its retry pause (or the Wait), and simulated time stands still.
    const before = clock.now();
    await new Promise((r) => setTimeout(r, 50));
    expect([e.status, clock.now()]).toEqual(['RUNNING', before]);
    expect(parked).toEqual([]);
    // With real time frozen, moving simulated time forward still runs the retry, the hour and the timeout.
    const frozen = jest.spyOn(Date, 'now').mockReturnValue(Date.now());
    try {
      await clock.run(e.done);
    } finally {
      frozen.mockRestore();
    }
    expect(e.status).toBe('SUCCEEDED');
    expect(JSON.parse(e.output!).timedOut).toMatchObject({ Error: 'States.Timeout' });
    expect(clock.now() - before).toBeGreaterThanOrEqual(3600_000 + 600_000);
  });

  it('times out a task on simulated time, and retries States.Timeout like any other error', async () => {
    const slow = {
      StartAt: 'Park',
      States: {
        Park: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Parameters: { FunctionName: fn('park'), Payload: { 'token.$': '$$.Task.Token' } },
          TimeoutSecondsPath: '$.timeout',
          Retry: [{ ErrorEquals: ['States.Timeout'], IntervalSeconds: 10, MaxAttempts: 2, BackoffRate: 3 }],
          End: true,
        },
      },
    };
    const arn = sfn.createStateMachine('timeouts', JSON.stringify(slow), '').stateMachineArn;
    parked.length = 0;
    const e = sfn.startExecution(arn, 'timeouts', '{"timeout":30}');
    const started = clock.now();
    await clock.run(e.done);
    expect([e.status, e.error]).toEqual(['FAILED', 'States.Timeout']);
    // Three attempts of 30 s each (TimeoutSecondsPath), paused 10 s, then 30 s (BackoffRate 3) apart: 130 s.
    expect(parked).toHaveLength(3);
    expect(clock.now() - started).toBe(130_000);
    expect(e.transitions).toBe(3);
  });
});
