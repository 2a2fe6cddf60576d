/**
 * What the local console draws for one execution: the state machine's graph, read from its definition
 * (as DescribeStateMachine returns it), and what happened in each state, read from the execution's
 * history (as GetExecutionHistory returns it). Only those two documents: the console shows what the
 * Step Functions console could, nothing of the local runner's internals.
 */
export interface GraphNode {
  id: string;
  type: string;
  /** Whether the execution may end here (a Succeed or Fail state, or `End: true`). */
  terminal: boolean;
}

export interface GraphEdge {
  from: string;
  to: string;
  kind: 'next' | 'choice' | 'default' | 'catch';
  /** For catch edges, the errors they catch. */
  label?: string;
}

export interface StateMark {
  /** Times the state was entered. */
  entered: number;
  /** Task attempts beyond the first of each entry (a Retrier's work). */
  retries: number;
  /** It failed and a Catch sent the execution on (possibly to itself). */
  caught: boolean;
  /** It finished without an error at least once. */
  succeeded: boolean;
  /** The execution failed in it. */
  failed: boolean;
  /** The execution is in it now. */
  current: boolean;
  /** The execution ended in it. */
  final: boolean;
  /** Errors its attempts failed with, in order. */
  errors: string[];
}

interface StateDef {
  Type: string;
  Next?: string;
  Default?: string;
  End?: boolean;
  Choices?: Array<{ Next?: string }>;
  Catch?: Array<{ ErrorEquals?: string[]; Next?: string }>;
}

export function graphOf(definition: string): { startAt: string; nodes: GraphNode[]; edges: GraphEdge[] } {
  const doc = JSON.parse(definition) as { StartAt: string; States: Record<string, StateDef> };
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  for (const [id, state] of Object.entries(doc.States)) {
    nodes.push({ id, type: state.Type, terminal: state.Type === 'Succeed' || state.Type === 'Fail' || state.End === true });
    if (state.Next) edges.push({ from: id, to: state.Next, kind: 'next' });
    for (const choice of state.Choices ?? []) if (choice.Next) edges.push({ from: id, to: choice.Next, kind: 'choice' });
    if (state.Default) edges.push({ from: id, to: state.Default, kind: 'default' });
    for (const c of state.Catch ?? []) if (c.Next) edges.push({ from: id, to: c.Next, kind: 'catch', label: (c.ErrorEquals ?? []).join(', ') });
  }
  return { startAt: doc.StartAt, nodes, edges };
}

interface Event {
  type: string;
  [details: string]: unknown;
}

const FAILED = /^(LambdaFunction|Task)(Failed|TimedOut|StartFailed|SubmitFailed)$/;
const SCHEDULED = /^(LambdaFunctionScheduled|TaskScheduled)$/;

/** Per state of the definition, what the history shows happened there. */
export function marksOf(states: readonly string[], history: readonly Event[], status: string): Record<string, StateMark> {
  const marks: Record<string, StateMark> = {};
  for (const name of states) marks[name] = { entered: 0, retries: 0, caught: false, succeeded: false, failed: false, current: false, final: false, errors: [] };
  let current: { name: string; scheduled: number; failed: boolean; exited: boolean } | undefined;
  let last: string | undefined;
  const leave = () => {
    if (!current || current.exited) return;
    // Left without an exit event: a Catch took it on (AWS records TaskStateExited then, the same mark).
    if (current.failed) marks[current.name]!.caught = true;
  };
  for (const event of history) {
    const details = (event.stateEnteredEventDetails ?? event.stateExitedEventDetails) as { name?: string } | undefined;
    if (event.type.endsWith('StateEntered') && details?.name && marks[details.name]) {
      leave();
      current = { name: details.name, scheduled: 0, failed: false, exited: false };
      marks[details.name]!.entered += 1;
      last = details.name;
    } else if (event.type.endsWith('StateExited') && details?.name && current?.name === details.name) {
      current.exited = true;
      marks[details.name]![current.failed ? 'caught' : 'succeeded'] = true;
    } else if (current && SCHEDULED.test(event.type)) {
      if (current.scheduled > 0) marks[current.name]!.retries += 1;
      current.scheduled += 1;
      current.failed = false;
    } else if (current && FAILED.test(event.type)) {
      current.failed = true;
      const error = Object.entries(event).find(([k]) => k.endsWith('EventDetails'))?.[1] as { error?: string } | undefined;
      marks[current.name]!.errors.push(error?.error ?? event.type);
    } else if (event.type === 'ExecutionFailed' || event.type === 'ExecutionTimedOut' || event.type === 'ExecutionAborted') {
      if (current && !current.exited && current.failed) marks[current.name]!.failed = true;
    }
  }
  if (last) {
    if (status === 'RUNNING') marks[last]!.current = !current?.exited;
    else marks[last]!.final = true;
  }
  // A Succeed or Fail state has no exit event of its own until the execution ends: reaching it is its outcome.
  for (const name of states) if (marks[name]!.final && !marks[name]!.failed && status === 'SUCCEEDED') marks[name]!.succeeded = true;
  return marks;
}
