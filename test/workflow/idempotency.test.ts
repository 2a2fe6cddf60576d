import { ChimeSDKMeetingsClient, DeleteMeetingCommand } from '@aws-sdk/client-chime-sdk-meetings';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ListExecutionsCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { CallRecord } from '../../local/core/server';
import { output, start, startHarness, waitForCapture, waitForState, type Harness } from '../../local/harness';
import { failure } from '../fixtures/async';

/**
 * A Lambda whose response is lost is invoked again by the state machine's retrier with the same input.
 * Each create step must then return what the first call created, never a second meeting or pipeline:
 * the ClientRequestTokens are derived from the execution and the step, and the table writes are
 * conditional. Here each create Lambda is invoked a second time, on the live cloud, with exactly the input
 * the state machine gave it.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

type State = Record<string, unknown> & { plan: { executionName: string; mode: string } };

function stateEntering(e: { history: Array<Record<string, unknown>> }, name: string): State {
  const entered = e.history.find((x) => String(x.type).endsWith('StateEntered') && (x.stateEnteredEventDetails as { name: string }).name === name);
  if (!entered) throw new Error(`the execution never entered ${name}`);
  return JSON.parse((entered.stateEnteredEventDetails as { input: string }).input) as State;
}

async function recordOf(meetingId: string): Promise<{ taskToken?: string } | undefined> {
  const db = new DynamoDBClient(h.cloud.clientConfig());
  try {
    const out = await db.send(new GetItemCommand({ TableName: h.deployment.tableName, Key: marshall({ meetingId }), ConsistentRead: true }));
    return out.Item ? (unmarshall(out.Item) as { taskToken?: string }) : undefined;
  } finally {
    db.destroy();
  }
}

describe('idempotency on the local cloud', () => {
  it('creates one role, one meeting and one capture pipeline when each create step runs twice', async () => {
    const e = await start(h, { meeting: { externalMeetingId: 'invoked-twice' } });
    await h.run(async () => {
      await waitForCapture(h, e, 5_000);
      await waitForState(h, e, 'AwaitMeetingEnd');
    });
    // AwaitMeetingEnd's Lambda (which stores the task token) has run once nothing is at work.
    await h.cloud.clock.settled();
    const { plan, role, chimeMeeting, capturePipeline } = stateEntering(e, 'AwaitMeetingEnd') as State & {
      role: { roleArn: string };
      chimeMeeting: { meetingId: string };
      capturePipeline: { mediaPipelineId: string };
    };

    // The same Parameters the ASL passes to each Task, as its retrier passes them ($$.State.RetryCount 1).
    const roleAgain = (await h.cloud.lambda.invoke('ensureServiceLinkedRole', { executionName: plan.executionName, mode: plan.mode, retryCount: 1 })) as { roleArn: string };
    expect(roleAgain.roleArn).toBe(role.roleArn);

    const tokenBefore = (await recordOf(chimeMeeting.meetingId))?.taskToken;
    expect(tokenBefore).toBeDefined();
    const meetingsBefore = h.cloud.meetings.activeMeetings().length;
    const meetingAgain = (await h.cloud.lambda.invoke('createMeeting', { plan, role })) as { meetingId: string };
    expect(meetingAgain.meetingId).toBe(chimeMeeting.meetingId);
    expect(h.cloud.meetings.activeMeetings().length).toBe(meetingsBefore);
    // The claim is not written again: the task token AwaitMeetingEnd stored meanwhile survives.
    expect((await recordOf(chimeMeeting.meetingId))?.taskToken).toBe(tokenBefore);

    const captureAgain = (await h.cloud.lambda.invoke('startCapture', { plan, chimeMeeting, role })) as { mediaPipelineId: string };
    expect(captureAgain.mediaPipelineId).toBe(capturePipeline.mediaPipelineId);
    const captures = h.cloud.pipelines.activePipelines().filter((p) => p.kind === 'capture' && p.meetingId === chimeMeeting.meetingId);
    expect(captures.map((p) => p.mediaPipelineId)).toEqual([capturePipeline.mediaPipelineId]);

    // The application ends the meeting; the workflow carries on as if nothing had happened.
    const chime = new ChimeSDKMeetingsClient(h.cloud.clientConfig());
    await chime.send(new DeleteMeetingCommand({ MeetingId: chimeMeeting.meetingId }));
    chime.destroy();
    await h.run(() => e.done);
    expect(e.status).toBe('SUCCEEDED');

    // StartConcatenation again, after the fact: the token returns the pipeline the execution used.
    const concatenation = output<{ concatenationPipelineId: string }>(e).concatenationPipelineId;
    const { meetingEnd } = stateEntering(e, 'StartConcatenation') as State & { meetingEnd: { reason: string } };
    const concatenationAgain = (await h.cloud.lambda.invoke('startConcatenation', { plan, chimeMeeting, capturePipeline, meetingEnd, role })) as { mediaPipelineId: string };
    expect(concatenationAgain.mediaPipelineId).toBe(concatenation);

    // Cleanup again: everything is already gone, which counts as done.
    const final = stateEntering(e, 'Cleanup');
    const cleanupAgain = (await h.cloud.lambda.invoke('cleanup', final)) as { status: string };
    expect(cleanupAgain.status).toBe('SUCCEEDED');
    await h.run(() => h.cloud.bus.drain());
    expect(h.cloud.orphans()).toEqual({ meetings: 0, pipelines: 0 });
  });

  it('starts one execution for a name used twice with the same input, and refuses it with another input', async () => {
    const input = JSON.stringify({ meeting: { externalMeetingId: 'same-key' } });
    const name = `key-${process.pid}`;
    const send = (body: string) => h.sfn.send(new StartExecutionCommand({ stateMachineArn: h.deployment.stateMachineArn, name, input: body }));
    const [first, second] = await Promise.all([send(input), send(input)]);
    expect(second.executionArn).toBe(first.executionArn);
    const listed = await h.sfn.send(new ListExecutionsCommand({ stateMachineArn: h.deployment.stateMachineArn }));
    expect(listed.executions?.filter((x) => x.name === name)).toHaveLength(1);

    const refused = await failure(send(JSON.stringify({ meeting: { externalMeetingId: 'other' } })));
    expect(refused.name).toBe('ExecutionAlreadyExists');

    const e = h.cloud.stepFunctions.execution(first.executionArn ?? '');
    await h.run(async () => {
      await waitForCapture(h, e, 1_000);
      await waitForState(h, e, 'AwaitMeetingEnd');
    });
    const meetingId = stateEntering(e, 'AwaitMeetingEnd') as State & { chimeMeeting: { meetingId: string } };
    const chime = new ChimeSDKMeetingsClient(h.cloud.clientConfig());
    await chime.send(new DeleteMeetingCommand({ MeetingId: meetingId.chimeMeeting.meetingId }));
    chime.destroy();
    await h.run(async () => {
      await e.done;
      await h.cloud.bus.drain();
    });
    expect(e.status).toBe('SUCCEEDED');
    expect(h.cloud.orphans()).toEqual({ meetings: 0, pipelines: 0 });
  });

  it("reserves CreateMeeting's turn at Chime on EnsureServiceLinkedRole's first attempt only: a retried attempt reserves none, and CreateMeeting takes its own", async () => {
    const calls: CallRecord[] = [];
    const listen = (c: CallRecord) => calls.push(c);
    const count = (executionArn: string, state: string, operation: string) => calls.filter((c) => c.caller?.executionArn === executionArn && c.caller.state === state && c.operation === operation).length;
    const recordUntilCapture = async (name: string) => {
      const e = await start(h, { meeting: { externalMeetingId: name } });
      await h.run(() => waitForCapture(h, e, 5_000));
      return e;
    };
    h.cloud.router.listeners.add(listen);
    try {
      const plain = await recordUntilCapture('role-first-try');
      // IAM throttles the retried recording's first GetRole: its EnsureServiceLinkedRole fails (ServiceBusy) and the state machine retries it.
      h.cloud.router.faults.add({ operation: 'GetRole', error: 'Throttling', count: 1 });
      const retried = await recordUntilCapture('role-retried');
      expect([count(plain.executionArn, 'EnsureServiceLinkedRole', 'GetRole'), count(retried.executionArn, 'EnsureServiceLinkedRole', 'GetRole')]).toEqual([1, 2]);
      // One reservation each from EnsureServiceLinkedRole, however many attempts it took.
      expect([count(plain.executionArn, 'EnsureServiceLinkedRole', 'UpdateItem'), count(retried.executionArn, 'EnsureServiceLinkedRole', 'UpdateItem')]).toEqual([1, 1]);
      // The retried recording's CreateMeeting, handed no turn, reserves its own: one table write more than the other's.
      expect(count(retried.executionArn, 'CreateMeeting', 'UpdateItem')).toBe(count(plain.executionArn, 'CreateMeeting', 'UpdateItem') + 1);
      for (const e of [plain, retried]) {
        const { chimeMeeting } = stateEntering(e, 'StartCapture') as State & { chimeMeeting: { meetingId: string } };
        const chime = new ChimeSDKMeetingsClient(h.cloud.clientConfig());
        await chime.send(new DeleteMeetingCommand({ MeetingId: chimeMeeting.meetingId }));
        chime.destroy();
        await h.run(async () => {
          await e.done;
          await h.cloud.bus.drain();
        });
        expect(e.status).toBe('SUCCEEDED');
      }
    } finally {
      h.cloud.router.listeners.delete(listen);
      h.cloud.router.faults.clear();
    }
  });
});
