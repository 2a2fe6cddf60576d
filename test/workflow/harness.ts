import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { LocalCloud, type Deployment, type LocalCloudOptions } from '../../local/cloud';
import type { Execution } from '../../local/sfn/runner';
import { meetingIdOf, simulateMeeting, type MeetingScript } from '../../local/simulate';

/**
 * One local cloud per test file (the handlers read their configuration from process.env), with time
 * compressed x300: a one-minute meeting plays in 200 ms, slow enough that real processing time (a few ms
 * per call) does not distort it; tests fast-forward (clock.setScale) through long waits.
 */
export interface Harness {
  cloud: LocalCloud;
  deployment: Deployment;
  sfn: SFNClient;
  close(): Promise<void>;
}

export async function startHarness(options: LocalCloudOptions = {}): Promise<Harness> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chime-rec-'));
  const cloud = await LocalCloud.start({ port: 0, scale: 300, dataDir, ...options });
  const deployment = await cloud.deploy();
  const sfn = new SFNClient(cloud.clientConfig());
  return {
    cloud,
    deployment,
    sfn,
    async close() {
      sfn.destroy();
      await cloud.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

let counter = 0;

/** Starts an execution through the Step Functions API and returns the local execution record. */
export async function start(h: Harness, input: unknown, name = `rec-${process.pid}-${++counter}`): Promise<Execution> {
  const out = await h.sfn.send(new StartExecutionCommand({ stateMachineArn: h.deployment.stateMachineArn, name, input: JSON.stringify(input) }));
  return h.cloud.stepFunctions.execution(out.executionArn ?? '');
}

/** Runs a recording of a new meeting with attendees who join and leave; resolves when the execution ends. */
export async function record(h: Harness, input: unknown = { meeting: {} }, script: Partial<MeetingScript> = {}): Promise<Execution> {
  const execution = await start(h, input);
  const meeting = simulateMeeting(h.cloud, execution, { lengthMs: 60_000, attendees: 2, ...script });
  await execution.done;
  await meeting;
  await h.cloud.bus.drain();
  return execution;
}

/** The states a successful recording without a live stream passes through, in order. */
export const RECORDING_STATES = [
  'ValidateRequest', 'EnsureServiceLinkedRole', 'VerifyBuckets', 'CreateMeeting', 'StartCapture', 'LiveStreamRequested', 'AwaitMeetingEnd',
  'StartConcatenation', 'AwaitConcatenation', 'Cleanup', 'RecordingOutcome', 'RecordingSucceeded',
];

export function statesEntered(e: Execution): string[] {
  return e.history.filter((h) => h.type.endsWith('StateEntered')).map((h) => (h.stateEnteredEventDetails as { name: string }).name);
}

export function output<T = Record<string, unknown>>(e: Execution): T {
  return JSON.parse(e.output ?? 'null') as T;
}

/** Resolves once the execution has entered the named state (rejects if it ends first). */
export async function waitForState(e: Execution, state: string): Promise<void> {
  for (;;) {
    if (statesEntered(e).includes(state)) return;
    if (e.status !== 'RUNNING') throw new Error(`execution ended ${e.status} before entering ${state}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Resolves once the execution's capture pipeline is InProgress and has recorded `simMs` of media. */
export async function waitForCapture(h: Harness, e: Execution, simMs = 10_000): Promise<void> {
  const meetingId = await meetingIdOf(e);
  for (;;) {
    const capture = h.cloud.pipelines.activePipelines().find((p) => p.kind === 'capture' && p.meetingId === meetingId && p.status === 'InProgress');
    if (capture) break;
    if (e.status !== 'RUNNING') throw new Error(`execution ended ${e.status} before its capture started`);
    await new Promise((r) => setTimeout(r, 2));
  }
  await h.cloud.clock.sleep(simMs);
}
