import type { LocalCloud } from './cloud';
import { eventTypeOf, type BusEvent, type EventFault } from './core/bus';
import type { FaultHit } from './core/faults';
import type { HistoryEvent } from './sfn/history';
import type { Execution } from './sfn/runner';
import { formatSim } from './live-view';

/**
 * What `npm run cloud` prints while it serves: one line when an execution starts, one when it ends (with
 * its error, and how long it ran in simulated time), one per call an injected fault answers. Each line
 * starts with the cloud's simulated time, the time its resources carry. Returns a function that stops it.
 */
export function logActivity(cloud: LocalCloud, write: (line: string) => void): () => void {
  const stamp = () => cloud.clock.date().toISOString();
  const onHistory = (e: Execution, h: HistoryEvent) => {
    if (h.type === 'ExecutionStarted') {
      write(`${stamp()} execution ${e.name} started (${e.executionArn})`);
    } else if (/^Execution(Succeeded|Failed|Aborted|TimedOut)$/.test(h.type)) {
      const ran = formatSim(cloud.clock.now() - e.startDate);
      const d = (h.executionFailedEventDetails ?? h.executionTimedOutEventDetails ?? {}) as { error?: string };
      const status = h.type.slice('Execution'.length).toUpperCase();
      write(`${stamp()} execution ${e.name} ${status}${d.error ? ` ${d.error}` : ''} after ${ran}`);
    }
  };
  const onEventFault = (event: BusEvent, fault: EventFault) => write(`${stamp()} event fault: ${fault.action} ${eventTypeOf(event)}`);
  const onFault = (hit: FaultHit) => write(`${stamp()} fault injected: ${hit.operation} answered ${hit.error ?? `after ${formatSim(hit.latencyMs)}`} (${hit.count === Infinity ? 'every call' : `${hit.hit} of ${hit.count}`})`);
  cloud.stepFunctions.runner.historyListeners.add(onHistory);
  cloud.router.faults.listeners.add(onFault);
  cloud.bus.faultListeners.add(onEventFault);
  return () => {
    cloud.bus.faultListeners.delete(onEventFault);
    cloud.stepFunctions.runner.historyListeners.delete(onHistory);
    cloud.router.faults.listeners.delete(onFault);
  };
}
