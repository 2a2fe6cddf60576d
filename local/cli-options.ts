import fs from 'node:fs';
import { checkEventType, checkOperationError } from './core/aws-names';
import { FaultInjector, type FaultSpec } from './core/faults';

/**
 * Options shared by `npm start` and `npm run cloud`: their help texts, the fault flags checked against
 * the names AWS and the local cloud use (a typo is an error naming the closest valid names, never a run
 * that silently injects nothing), and `--input FILE`.
 */
export const START_HELP = `usage: npm start -- [options]          (npm start -s -- --json ... for JSON alone on stdout)
  --input FILE              the workflow input to record with (a JSON file, as for the console or the API);
                            default the README's first example, {"meeting":{"externalMeetingId":"weekly-standup",...}}
  --minutes N               simulated meeting length in minutes (default 2)
  --attendees N             people who join and leave (default 2)
  --json                    print one JSON result object instead of the live view
  --inject Op:Error[:count] answer the next count (default 1, or "forever") calls of Op with Error, both as
                            AWS names them (e.g. CreateMediaCapturePipeline:ThrottledClientException:2); repeatable
  --drop-event TYPE         drop the next event of TYPE (e.g. chime:MeetingEnded); repeatable
  --duplicate-event TYPE    deliver the next event of TYPE three times; repeatable
  --live                    also stream the meeting to an RTMPS URL kept in a (local) Secrets Manager secret
  --behaviour NAME=VARIANT  where AWS does not document what it does, which answer the local cloud gives
                            (README: What AWS does not document); repeatable; "pessimistic" sets them all
  --data-dir DIR            where state and S3 objects are kept (default .local)
  --keep                    keep the local cloud (and its web console) up after the recording, until Ctrl-C
  -h, --help                this text
exit code: 0 when the recording SUCCEEDED, 1 when it did not, 2 for a bad option`;

export const CLOUD_HELP = `usage: npm run cloud -- [options]
  --port N                  the port every service answers on (default 4566; 0 picks a free one)
  --data-dir DIR            where S3 objects, IAM roles and the DynamoDB tables are kept (default .local)
  --scale N                 simulated milliseconds per real millisecond (default 1: real time; 60 plays a
                            one-hour meeting in a minute)
  --lambda-threads N        worker threads for the Lambda handlers (default 0: in the cloud's own thread)
  --inject Op:Error[:count] answer the next count (default 1, or "forever") calls of Op with Error; repeatable
  --drop-event TYPE         drop the next event of TYPE (e.g. chime:MeetingEnded); repeatable
  --duplicate-event TYPE    deliver the next event of TYPE three times; repeatable
  --behaviour NAME=VARIANT  where AWS does not document what it does, which answer the local cloud gives
                            (README: What AWS does not document); repeatable; "pessimistic" sets them all
  -h, --help                this text
It prints "ready <endpoint>" when it serves, then a line per execution start and end and per fault
injected; SIGINT (Ctrl-C), SIGTERM or SIGHUP shuts it down, and so does the end of the process that
started it (npm, a shell), so \`kill\` on a backgrounded \`npm run cloud\` stops the server too.`;

/** Parses and checks `--inject` values: operation and error must be names AWS uses for each other. */
export function faultsFromFlags(inject: string[]): FaultSpec[] {
  return inject.map((spec) => {
    const fault = FaultInjector.parse(spec);
    checkOperationError(`--inject ${spec}`, fault.operation, fault.error ?? '');
    return fault;
  });
}

/** Checks `--drop-event` / `--duplicate-event` values against the event types the local cloud publishes. */
export function checkEventFlags(flag: '--drop-event' | '--duplicate-event', types: string[]): void {
  for (const type of types) checkEventType(`${flag} ${type}`, type);
}

/** Reads `--input FILE`: a JSON object, the workflow input (the workflow itself validates its fields). */
export function readInputFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`--input ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); give the path of a JSON file holding the workflow input`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`--input ${file}: not JSON (${(err as Error).message}); the file must hold one JSON object, e.g. {"meeting":{}}`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error(`--input ${file}: the workflow input must be a JSON object, e.g. {"meeting":{}}; got ${Array.isArray(value) ? 'an array' : String(value === null ? 'null' : typeof value)}`);
  return value as Record<string, unknown>;
}
