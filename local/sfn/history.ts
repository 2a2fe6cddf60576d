/**
 * Translates aws-local-stepfunctions' event log into Step Functions history events (the shape
 * GetExecutionHistory returns), so tools and tests read local executions as they read AWS ones.
 */
export interface LibraryEvent {
  type: string;
  timestamp: number;
  state?: { name: string; type: string; input?: unknown; output?: unknown };
  input?: unknown;
  output?: unknown;
  Error?: string;
  Cause?: unknown;
}

export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: number;
  type: string;
  [details: string]: unknown;
}

type StateDef = Record<string, unknown> & { Type: string };

const json = (v: unknown) => JSON.stringify(v ?? null);

function taskKind(state: StateDef | undefined): 'Lambda' | 'Task' {
  return String(state?.Resource ?? '').startsWith('arn:aws:lambda:') ? 'Lambda' : 'Task';
}

export function historyFromLog(
  event: LibraryEvent,
  states: Map<string, StateDef>,
  execution: { input: string },
  now: number,
): Array<Omit<HistoryEvent, 'id' | 'previousEventId'>> {
  const timestamp = now;
  const name = event.state?.name ?? '';
  const def = states.get(name);
  // The definition's own type: the library runs Wait states as tasks (local/sfn/runner.ts).
  const stateType = def?.Type ?? event.state?.type ?? '';
  const cause = typeof event.Cause === 'string' ? event.Cause : json(event.Cause);
  const scheduled = () =>
    taskKind(def) === 'Lambda'
      ? { timestamp, type: 'LambdaFunctionScheduled', lambdaFunctionScheduledEventDetails: { resource: def?.Resource, input: json(event.state?.input) } }
      : { timestamp, type: 'TaskScheduled', taskScheduledEventDetails: { resourceType: 'lambda', resource: String(def?.Resource ?? '').split(':').pop(), parameters: json(event.state?.input) } };
  switch (event.type) {
    case 'ExecutionStarted':
      return [{ timestamp, type: 'ExecutionStarted', executionStartedEventDetails: { input: execution.input } }];
    case 'ExecutionSucceeded':
      return [{ timestamp, type: 'ExecutionSucceeded', executionSucceededEventDetails: { output: json(event.output) } }];
    case 'ExecutionFailed':
      return [{ timestamp, type: 'ExecutionFailed', executionFailedEventDetails: { error: event.Error, cause } }];
    case 'ExecutionAborted':
      return [{ timestamp, type: 'ExecutionAborted', executionAbortedEventDetails: {} }];
    case 'ExecutionTimeout':
      return [{ timestamp, type: 'ExecutionTimedOut', executionTimedOutEventDetails: { error: 'States.Timeout' } }];
    case 'StateEntered': {
      const entered = { timestamp, type: `${stateType}StateEntered`, stateEnteredEventDetails: { name, input: json(event.state?.input) } };
      return stateType === 'Task' ? [entered, scheduled()] : [entered];
    }
    case 'StateExited': {
      const exited = { timestamp, type: `${stateType}StateExited`, stateExitedEventDetails: { name, output: json(event.state?.output ?? event.output) } };
      return [exited];
    }
    case 'StateFailed': {
      if (stateType !== 'Task') return [];
      const timedOut = event.Error === 'States.Timeout';
      const kind = taskKind(def) === 'Lambda' ? 'LambdaFunction' : 'Task';
      const type = `${kind}${timedOut ? 'TimedOut' : 'Failed'}`;
      const detailsKey = `${kind.charAt(0).toLowerCase()}${kind.slice(1)}${timedOut ? 'TimedOut' : 'Failed'}EventDetails`;
      return [{ timestamp, type, [detailsKey]: { error: event.Error, cause } }];
    }
    case 'StateRetried':
      return stateType === 'Task' ? [scheduled()] : [];
    default:
      return [];
  }
}
