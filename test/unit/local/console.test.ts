import fs from 'node:fs';
import path from 'node:path';
import { graphOf, marksOf } from '../../../local/console/marks';
import { MASK, maskString, maskValue } from '../../../local/console/mask';

/** What the local console reads from a definition and a history, on histories shaped as AWS writes them. */
const definition = fs.readFileSync(path.resolve(__dirname, '../../../statemachines/recording.asl.json'), 'utf8');
const { nodes, edges } = graphOf(definition);
const states = nodes.map((n) => n.id);

const entered = (name: string, type = 'Task') => ({ type: `${type}StateEntered`, stateEnteredEventDetails: { name } });
const exited = (name: string, type = 'Task') => ({ type: `${type}StateExited`, stateExitedEventDetails: { name } });
const scheduled = { type: 'LambdaFunctionScheduled' };
const failed = (error: string) => ({ type: 'LambdaFunctionFailed', lambdaFunctionFailedEventDetails: { error } });

describe('graphOf', () => {
  it('draws every state and every way out of it: Next, Choices, Default and Catch', () => {
    expect(states).toContain('RecordingSucceeded');
    expect(nodes.find((n) => n.id === 'RecordingFailed')).toMatchObject({ type: 'Fail', terminal: true });
    expect(edges).toContainEqual({ from: 'ValidateRequest', to: 'EnsureServiceLinkedRole', kind: 'next' });
    expect(edges).toContainEqual({ from: 'LiveStreamRequested', to: 'StartLiveConnector', kind: 'choice' });
    expect(edges).toContainEqual({ from: 'LiveStreamRequested', to: 'AwaitMeetingEnd', kind: 'default' });
    expect(edges.filter((e) => e.kind === 'catch' && e.from === 'AwaitMeetingEnd').map((e) => e.to)).toEqual(['AwaitMeetingEnd', 'Cleanup']);
  });
});

describe('marksOf', () => {
  it('marks a retried task that then succeeded, and the final state', () => {
    const history = [entered('StartCapture'), scheduled, failed('ServiceBusy'), scheduled, exited('StartCapture'), entered('RecordingSucceeded', 'Succeed'), exited('RecordingSucceeded', 'Succeed'), { type: 'ExecutionSucceeded' }];
    const marks = marksOf(states, history, 'SUCCEEDED');
    expect(marks.StartCapture).toMatchObject({ entered: 1, retries: 1, succeeded: true, caught: false, failed: false, errors: ['ServiceBusy'] });
    expect(marks.RecordingSucceeded).toMatchObject({ final: true, succeeded: true, current: false });
    expect(marks.Cleanup).toMatchObject({ entered: 0, succeeded: false });
  });

  it('marks a caught failure whether or not an exit event follows it, and a Fail state reached', () => {
    const history = [
      entered('StartCapture'), scheduled, failed('CaptureRefused'), exited('StartCapture'),
      entered('AwaitMeetingEnd'), scheduled, failed('States.Timeout'),
      entered('AwaitMeetingEnd'), scheduled, failed('MeetingGone'),
      entered('Cleanup'), scheduled, exited('Cleanup'),
      entered('RecordingFailed', 'Fail'), { type: 'ExecutionFailed', executionFailedEventDetails: { error: 'CaptureRefused' } },
    ];
    const marks = marksOf(states, history, 'FAILED');
    expect(marks.StartCapture).toMatchObject({ caught: true, succeeded: false });
    expect(marks.AwaitMeetingEnd).toMatchObject({ entered: 2, caught: true, retries: 0, errors: ['States.Timeout', 'MeetingGone'] });
    expect(marks.Cleanup).toMatchObject({ succeeded: true, caught: false });
    expect(marks.RecordingFailed).toMatchObject({ final: true, succeeded: false, failed: false });
  });

  it('marks the state a running execution is in, and a task an execution failed in', () => {
    expect(marksOf(states, [entered('ValidateRequest'), exited('ValidateRequest'), entered('AwaitMeetingEnd'), scheduled], 'RUNNING').AwaitMeetingEnd).toMatchObject({ current: true, final: false });
    const stopped = marksOf(states, [entered('Cleanup'), scheduled, failed('Boom'), { type: 'ExecutionFailed' }], 'FAILED');
    expect(stopped.Cleanup).toMatchObject({ failed: true, final: true, caught: false });
  });
});

describe('maskValue', () => {
  it('masks stream URLs anywhere, JSON inside strings included, and secret-named members, but keeps ARNs', () => {
    const url = 'rtmps://live.example.com/app/sk_abc123';
    const masked = maskValue({
      taskToken: 'AAAAKgAAAAIAAAAA',
      liveStream: { secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:chime-recording/x-AbCdEf' },
      cause: `could not reach ${url} (refused)`,
      input: JSON.stringify({ sink: { Url: url, note: `to ${url}` } }),
    }) as Record<string, unknown>;
    const text = JSON.stringify(masked);
    expect(text).not.toContain('sk_abc123');
    expect(text).not.toContain('AAAAKgAAAAIAAAAA');
    expect(masked.taskToken).toBe(MASK);
    expect(masked.liveStream).toEqual({ secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:chime-recording/x-AbCdEf' });
    expect(masked.cause).toBe(`could not reach rtmps://${MASK} (refused)`);
    expect(JSON.parse(masked.input as string)).toEqual({ sink: { Url: MASK, note: `to rtmps://${MASK}` } });
    expect(maskString('nothing secret here')).toBe('nothing secret here');
  });
});
