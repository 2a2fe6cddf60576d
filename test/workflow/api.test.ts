import { ChimeSDKMeetingsClient, CreateMeetingCommand, GetMeetingCommand } from '@aws-sdk/client-chime-sdk-meetings';
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { joinAttendees } from '../../local/simulate';
import type { Execution } from '../../local/sfn/runner';
import { callApi } from '../fixtures/sigv4';
import { startHarness, waitForCapture, type Harness } from '../../local/harness';

/**
 * The recordings API as a caller sees it: SigV4-signed HTTP to the local cloud's API Gateway, which
 * invokes the same `api` handler the stack deploys, which starts and steers real executions.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const api = (method: string, path: string, opts: Parameters<typeof callApi>[3] = {}) => callApi(h.deployment.apiUrl, method, path, opts);

async function executionCount(): Promise<number> {
  const out = await h.sfn.send(new ListExecutionsCommand({ stateMachineArn: h.deployment.stateMachineArn }));
  return out.executions?.length ?? 0;
}

function execution(id: string): Execution {
  return h.cloud.stepFunctions.execution(`${h.deployment.stateMachineArn.replace(':stateMachine:', ':execution:')}:${id}`);
}

describe('recordings API on the local cloud', () => {
  it('refuses unsigned calls the way API Gateway does with AWS_IAM', async () => {
    const res = await api('POST', '/recordings', { body: '{}', signed: false });
    expect(res.status).toBe(403);
    expect(res.body.message).toBe('Missing Authentication Token');
  });

  it('answers 400 naming each bad field, and starts nothing', async () => {
    const before = await executionCount();
    const res = await api('POST', '/recordings', { body: JSON.stringify({ meeting: { mediaRegion: 'mars-1' }, capture: { audio: 'Loud' }, extra: 1 }) });
    expect(res.status).toBe(400);
    const problems = res.body.problems as string[];
    expect(problems.some((p) => p.startsWith('meeting.mediaRegion:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('capture.audio:'))).toBe(true);
    expect(problems.some((p) => p.includes('"extra"'))).toBe(true);
    expect((await api('POST', '/recordings', { body: 'not json' })).status).toBe(400);
    expect(await executionCount()).toBe(before);
  });

  it('starts one recording per Idempotency-Key, reads it, stops it early, and it goes on to concatenation', async () => {
    const body = JSON.stringify({ meeting: { externalMeetingId: 'api-standup' } });
    const headers = { 'Idempotency-Key': 'standup-2026-11-23' };
    const first = await api('POST', '/recordings', { body, headers });
    expect(first.status).toBe(202);
    const id = String(first.body.id);
    const again = await api('POST', '/recordings', { body, headers });
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(id);
    const conflict = await api('POST', '/recordings', { body: JSON.stringify({ meeting: { externalMeetingId: 'other' } }), headers });
    expect(conflict.status).toBe(409);
    expect(String(conflict.body.message)).toMatch(/Idempotency-Key/);

    const e = execution(id);
    await h.run(() => waitForCapture(h, e, 10_000));
    const running = await api('GET', `/recordings/${id}`);
    expect(running.status).toBe(200);
    expect(running.body).toMatchObject({ id, status: 'RUNNING', phase: 'RECORDING' });
    expect(running.body.meetingId).toEqual(expect.any(String));
    expect(running.body.capturePipelineId).toEqual(expect.any(String));

    // Nobody leaves: only the stop request ends this recording.
    await joinAttendees(h.cloud, String(running.body.meetingId), 2);
    const stop = await api('POST', `/recordings/${id}/stop`);
    expect(stop.status).toBe(202);
    await h.run(() => e.done);
    expect(e.status).toBe('SUCCEEDED');

    const done = await api('GET', `/recordings/${id}`);
    expect(done.body).toMatchObject({ id, status: 'SUCCEEDED', phase: 'SUCCEEDED' });
    // The stop's own reason, unless the deletion's MeetingEnded event was recorded first.
    expect(['StoppedByRequest', 'MeetingEnded']).toContain(done.body.endReason);
    expect((done.body.artifacts as string[]).length).toBeGreaterThan(0);
    expect(done.body.stoppedAt).toEqual(expect.any(String));
    // A POST retried after the recording finished still finds it; stopping it again is a conflict.
    expect((await api('POST', '/recordings', { body, headers })).body).toMatchObject({ id, status: 'SUCCEEDED' });
    expect((await api('POST', `/recordings/${id}/stop`)).status).toBe(409);
    await h.run(() => h.cloud.bus.drain());
    expect(h.cloud.orphans()).toEqual({ meetings: 0, pipelines: 0 });
  });

  it('stops only the capture of a meeting the application owns; the meeting goes on', async () => {
    const chime = new ChimeSDKMeetingsClient(h.cloud.clientConfig());
    const created = await chime.send(new CreateMeetingCommand({ ClientRequestToken: `app-${Date.now()}`, MediaRegion: 'us-east-1', ExternalMeetingId: 'app-owned-api' }));
    const meetingId = created.Meeting?.MeetingId ?? '';
    await joinAttendees(h.cloud, meetingId, 1);
    const started = await api('POST', '/recordings', { body: JSON.stringify({ meetingId }) });
    expect(started.status).toBe(202);
    const id = String(started.body.id);
    const e = execution(id);
    await h.run(() => waitForCapture(h, e, 10_000));
    expect((await api('POST', `/recordings/${id}/stop`)).status).toBe(202);
    await h.run(() => e.done);
    expect(e.status).toBe('SUCCEEDED');
    // The application's meeting is still there; only our pipelines are gone.
    expect((await chime.send(new GetMeetingCommand({ MeetingId: meetingId }))).Meeting?.MeetingId).toBe(meetingId);
    await h.run(() => h.cloud.clock.sleep(1500));
    expect(h.cloud.pipelines.activePipelines()).toEqual([]);
    chime.destroy();
  });

  it('answers 404 for unknown recordings and routes', async () => {
    expect((await api('GET', '/recordings/no-such-recording')).status).toBe(404);
    expect((await api('POST', '/recordings/no-such-recording/stop')).status).toBe(404);
    expect((await api('GET', '/recordings/bad%20id')).status).toBe(404);
    expect((await api('DELETE', '/recordings/x')).status).toBe(403);
  });

  it('lists recordings newest first, a page at a time (GET /recordings, signed like the other routes)', async () => {
    // A third recording, started after the others: the first on the first page.
    const third = await api('POST', '/recordings', { body: JSON.stringify({ meeting: { externalMeetingId: 'newest' } }), headers: { 'Idempotency-Key': 'list-newest' } });
    expect(third.status).toBe(202);
    const all = await api('GET', '/recordings');
    expect(all.status).toBe(200);
    const recordings = all.body.recordings as Array<{ id: string; startedAt: string; status: string }>;
    expect(recordings.length).toBe(await executionCount());
    expect(recordings[0]!.id).toBe(third.body.id);
    const starts = recordings.map((r) => Date.parse(r.startedAt));
    expect(starts).toEqual([...starts].sort((a, b) => b - a));
    const first = await api('GET', '/recordings?limit=1');
    expect(first.body.recordings).toEqual([recordings[0]]);
    const second = await api('GET', `/recordings?limit=1&next=${encodeURIComponent(String(first.body.next))}`);
    expect(second.body.recordings).toEqual([recordings[1]]);
    const bad = await api('GET', '/recordings?limit=500');
    expect(bad.status).toBe(400);
    expect(bad.body.problems).toEqual(['limit: must be a whole number from 1 to 100; got "500"']);
    expect((await api('GET', '/recordings?next=not-a-token')).status).toBe(400);
    expect((await api('GET', '/recordings', { signed: false })).status).toBe(403);
  });
});
