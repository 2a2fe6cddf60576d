import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { ERROR_NAMES, TRANSIENT_ERRORS } from '../../functions/lib/errors';
import { CONCATENATION_CHECK_SECONDS } from '../../functions/validate-request/validate';

const root = path.resolve(__dirname, '../..');
const asl = JSON.parse(fs.readFileSync(path.join(root, 'statemachines/recording.asl.json'), 'utf8'));
const sls = YAML.parse(fs.readFileSync(path.join(root, 'serverless.yml'), 'utf8'));
type State = Record<string, any>;
const states = Object.entries(asl.States as Record<string, State>);
const EVENTS_PUT = 'arn:${AWS::Partition}:states:::events:putEvents';
/** The Lambda steps; the announcements (EventBridge putEvents tasks) are checked on their own below. */
const tasks = states.filter(([, s]) => s.Type === 'Task' && s.Resource !== EVENTS_PUT);
const announcements = states.filter(([, s]) => s.Type === 'Task' && s.Resource === EVENTS_PUT);

/** Error names the ASL matches that are ours (not States.* or Lambda.*). */
function aslErrorNames(): Set<string> {
  const names = new Set<string>();
  for (const [, s] of states) {
    for (const r of [...(s.Retry ?? []), ...(s.Catch ?? [])]) for (const e of r.ErrorEquals) names.add(e);
  }
  return new Set([...names].filter((n) => !n.startsWith('States.') && !n.startsWith('Lambda.')));
}

describe('recording.asl.json', () => {
  it('names only errors that errors.ts defines, and retries every transient one', () => {
    const names = aslErrorNames();
    for (const n of names) expect(ERROR_NAMES).toContain(n);
    for (const t of TRANSIENT_ERRORS) expect(names).toContain(t);
  });

  it('never retries a terminal error', () => {
    const terminal = ERROR_NAMES.filter((n) => !(TRANSIENT_ERRORS as readonly string[]).includes(n));
    for (const [, s] of tasks) for (const r of s.Retry ?? []) for (const e of r.ErrorEquals) expect(terminal).not.toContain(e);
  });

  it('retries every Task on each Lambda service error AWS lists, ClientExecutionTimeoutException included', () => {
    // "Handle Lambda service exceptions" (Step Functions developer guide, bp-lambda-serviceexception), and
    // Lambda.TooManyRequestsException, Lambda's throttling error.
    const lambdaErrors = ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException', 'Lambda.ClientExecutionTimeoutException'];
    for (const [name, s] of tasks) {
      const lambdaRetry = s.Retry.find((r: State) => r.ErrorEquals.includes('Lambda.ServiceException'));
      expect({ name, errors: [...lambdaRetry.ErrorEquals].sort() }).toEqual({ name, errors: [...lambdaErrors].sort() });
    }
  });

  it('gives every Task a timeout, a full-jitter Lambda retrier, a transient retrier and a catch into $.error or $.cleanupError', () => {
    for (const [name, s] of tasks) {
      // A fixed timeout, or (AwaitMeetingEnd) one the plan gives: a path into the state input.
      const timeout = name === 'AwaitMeetingEnd' ? typeof s.TimeoutSecondsPath : typeof s.TimeoutSeconds;
      expect({ name, timeout }).toEqual({ name, timeout: name === 'AwaitMeetingEnd' ? 'string' : 'number' });
      const lambdaRetry = s.Retry.find((r: State) => r.ErrorEquals.includes('Lambda.ServiceException'));
      expect(lambdaRetry).toMatchObject({ JitterStrategy: 'FULL' });
      expect(lambdaRetry.MaxDelaySeconds).toBeGreaterThan(0);
      expect(s.Retry.some((r: State) => r.ErrorEquals.includes('ServiceBusy') && r.JitterStrategy === 'FULL' && r.MaxAttempts > 0)).toBe(true);
      const catchAll = s.Catch.find((c: State) => c.ErrorEquals.includes('States.ALL'));
      expect(['$.error', '$.cleanupError']).toContain(catchAll.ResultPath);
    }
  });

  it('sends failures to Cleanup once the meeting may exist, straight to the RecordingFailed announcement before', () => {
    const before = ['ValidateRequest', 'EnsureServiceLinkedRole', 'VerifyBuckets'];
    for (const [name, s] of tasks) {
      const next = s.Catch.find((c: State) => c.ErrorEquals.includes('States.ALL')).Next;
      if (name === 'Cleanup') expect(next).toBe('AnnounceCleanupFailed');
      else expect(next).toBe(before.includes(name) ? 'AnnounceRejected' : 'Cleanup');
    }
  });

  it('announces on the default bus from the stack\'s source, never failing the recording over an event', () => {
    expect(announcements.map(([n]) => n).sort()).toEqual(['AnnounceCleanupFailed', 'AnnounceRecordingOutcome', 'AnnounceRecordingStarted', 'AnnounceRejected']);
    for (const [name, s] of announcements) {
      expect({ name, timeout: typeof s.TimeoutSeconds }).toEqual({ name, timeout: 'number' });
      expect(s.Parameters.Entries).toHaveLength(1);
      expect(s.Parameters.Entries[0]).toMatchObject({ EventBusName: 'default', Source: '${self:service}.${sls:stage}', DetailType: 'Recording State Change' });
      expect(s.ResultPath).toBeNull();
      expect(s.Retry[0]).toMatchObject({ ErrorEquals: ['States.ALL'], JitterStrategy: 'FULL' });
      // A failed publish is noted and the recording goes where it was going.
      expect(s.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.announceError', Next: s.Next }]);
    }
  });

  it('passes every way to an end through exactly one outcome announcement', () => {
    const targets = (s: State): string[] => [s.Next, s.Default, ...(s.Catch ?? []).map((c: State) => c.Next), ...(s.Choices ?? []).map((c: State) => c.Next)].filter(Boolean);
    const announcing = new Set(['AnnounceRecordingOutcome', 'AnnounceRejected', 'AnnounceCleanupFailed']);
    const ends = new Set(['RecordingOutcome', 'RecordingFailed', 'CleanupFailed']);
    for (const [name, s] of states) {
      for (const t of targets(s)) {
        // RecordingOutcome is a Choice after the announcement; it only picks the end.
        if (ends.has(t)) expect({ from: name, to: t, announced: announcing.has(name) || name === 'RecordingOutcome' }).toEqual({ from: name, to: t, announced: true });
        if (announcing.has(t)) expect(announcing.has(name)).toBe(false);
      }
    }
  });

  it('points every Task at a function declared in serverless.yml, each declared step function used', () => {
    const declared = new Map(Object.keys(sls.functions).map((k) => [`${k[0]!.toUpperCase()}${k.slice(1)}LambdaFunction`, k]));
    const used = new Set<string>();
    for (const [, s] of tasks) {
      const ref = s.Resource['Fn::GetAtt'] ?? s.Parameters?.FunctionName?.['Fn::GetAtt'];
      expect(ref?.[1]).toBe('Arn');
      expect(declared.has(ref[0])).toBe(true);
      used.add(declared.get(ref[0])!);
    }
    // meetingEvents is the EventBridge target, api the API Gateway one and reconciler a scheduled one, not states.
    expect([...declared.values()].filter((f) => !used.has(f)).sort()).toEqual(['api', 'meetingEvents', 'reconciler']);
  });

  it('maps states one-to-one to functions/<kebab-name>/handler.ts', () => {
    for (const [name] of tasks) {
      const kebab = name.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();
      expect(fs.existsSync(path.join(root, 'functions', kebab, 'handler.ts'))).toBe(true);
    }
  });

  it('loops both waits on States.Timeout (the lost-event safety net)', () => {
    const wait = asl.States.AwaitMeetingEnd;
    // The partition is CloudFormation's (the definition deploys as one Fn::Sub), never written out.
    expect(wait.Resource).toBe('arn:${AWS::Partition}:states:::lambda:invoke.waitForTaskToken');
    expect(wait.Parameters.Payload['taskToken.$']).toBe('$$.Task.Token');
    expect(wait.Catch[0]).toMatchObject({ ErrorEquals: ['States.Timeout'], Next: 'AwaitMeetingEnd' });
    const concatenation = asl.States.AwaitConcatenation;
    expect(concatenation.Resource).toBe('arn:${AWS::Partition}:states:::lambda:invoke.waitForTaskToken');
    expect(concatenation.Parameters.Payload['taskToken.$']).toBe('$$.Task.Token');
    expect(concatenation.Catch[0]).toMatchObject({ ErrorEquals: ['States.Timeout'], Next: 'AwaitConcatenation' });
    // timeoutMinutes becomes a number of these checks (validate-request).
    expect(concatenation.TimeoutSeconds).toBe(CONCATENATION_CHECK_SECONDS);
    // The meeting-end wait's timeout is the plan's (hourly, or cut so that a check falls on maxDurationMinutes).
    expect(wait.TimeoutSecondsPath).toBe('$.plan.meetingEndCheckSeconds');
    expect(wait.TimeoutSeconds).toBeUndefined();
  });

  it('passes asl-validator once CloudFormation references are resolved', async () => {
    const mod: unknown = await import('asl-validator');
    const validator = ((mod as { default?: unknown }).default ?? mod) as (d: unknown) => { isValid: boolean; errors: unknown[] };
    const resolved = JSON.parse(JSON.stringify(asl).replaceAll('${AWS::Partition}', 'aws'), (_k, v) =>
      v && typeof v === 'object' && v['Fn::GetAtt'] ? `arn:aws:lambda:us-east-1:123456789012:function:${v['Fn::GetAtt'][0]}` : v,
    );
    const result = validator(resolved);
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });
});
