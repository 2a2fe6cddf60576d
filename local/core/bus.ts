import { randomUUID } from 'node:crypto';
import type { Behaviours } from './behaviours';
import type { SimClock } from './clock';
import { matchesPattern, type Pattern } from './pattern';

/**
 * The local EventBridge default bus. Emulators publish `aws.chime` events here; rules (read from
 * serverless.yml) deliver matching events to local Lambda handlers, retrying failed deliveries and
 * sending exhausted ones to the rule's dead-letter list. Event faults (drop, duplicate, delay, reorder)
 * are keyed by `detail.eventType` (e.g. `chime:MeetingEnded`) or by `detail-type`, so tests can reproduce
 * EventBridge's best-effort delivery.
 */
export interface BusEvent {
  id: string;
  version: '0';
  source: string;
  'detail-type': string;
  account: string;
  region: string;
  time: string;
  resources: string[];
  detail: Record<string, unknown>;
}

export type PutEventInput = Pick<BusEvent, 'source' | 'detail-type' | 'detail'> & Partial<Pick<BusEvent, 'resources' | 'time' | 'region'>>;

export interface Rule {
  name: string;
  pattern: Pattern;
  target: (event: BusEvent) => Promise<unknown>;
  /** The target's RetryPolicy: EventBridge's defaults are 185 retries within 24 hours. */
  retryPolicy?: { maximumRetryAttempts?: number; maximumEventAge?: number };
}

export type EventFaultAction = 'drop' | 'duplicate' | 'delay' | 'reorder';

export interface EventFault {
  /** `detail.eventType` or `detail-type` to match. */
  eventType: string;
  /** Narrows the match further, e.g. to one kind of media pipeline (events do not say which kind). */
  where?: (event: BusEvent) => boolean;
  action: EventFaultAction;
  /** How many matching events the fault applies to; Infinity for all. Defaults to 1. */
  count?: number;
  /** duplicate: total deliveries (default 2); delay: simulated ms. */
  times?: number;
  delayMs?: number;
}

export interface Delivery {
  rule: string;
  eventId: string;
  eventType: string;
  ok: boolean;
  attempts: number;
  error?: string;
}

export class EventBus {
  private readonly rules: Rule[] = [];
  private readonly faults: Array<EventFault & { remaining: number }> = [];
  private readonly inFlight = new Set<Promise<void>>();
  private held: BusEvent[] = [];
  readonly published: BusEvent[] = [];
  readonly deliveries: Delivery[] = [];
  readonly deadLetters: Array<{ rule: string; event: BusEvent; error: string }> = [];
  readonly listeners = new Set<(event: BusEvent) => void>();
  /** Told when an event fault is added or the faults are cleared (the local console redraws). */
  readonly faultChangeListeners = new Set<() => void>();
  /** Told of each event a fault applies to (dropped, duplicated, delayed or held back), as it happens. */
  readonly faultListeners = new Set<(event: BusEvent, fault: EventFault) => void>();

  constructor(
    private readonly clock: SimClock,
    private readonly account: string,
    private readonly region: string,
    private readonly behaviours: Pick<Behaviours, 'eventbridge-retry-delay' | 'event-delivery'> = { 'eventbridge-retry-delay': 'seconds', 'event-delivery': 'prompt' },
  ) {}

  addRule(rule: Rule): void {
    this.rules.push(rule);
  }

  /** The event faults added since the last clear, with how many events each has left to affect. */
  listFaults(): Array<{ eventType: string; action: EventFaultAction; remaining: number; times?: number; delayMs?: number; narrowed: boolean }> {
    return this.faults.map((f) => ({ eventType: f.eventType, action: f.action, remaining: f.remaining, times: f.times, delayMs: f.delayMs, narrowed: f.where !== undefined }));
  }

  addFault(fault: EventFault): void {
    this.faults.push({ ...fault, remaining: fault.count ?? 1 });
    for (const listen of this.faultChangeListeners) listen();
  }

  clearFaults(): void {
    this.faults.length = 0;
    for (const listen of this.faultChangeListeners) listen();
  }

  /** Publishes events; returns their ids. Delivery happens asynchronously, as on AWS. */
  put(inputs: PutEventInput[]): BusEvent[] {
    const events = inputs.map((input) => ({
      id: randomUUID(),
      version: '0' as const,
      account: this.account,
      region: input.region ?? this.region,
      time: eventTime(input.time ?? this.clock.date().toISOString()),
      resources: input.resources ?? [],
      source: input.source,
      'detail-type': input['detail-type'],
      detail: input.detail,
    }));
    for (const event of events) this.route(event);
    return events;
  }

  /** Resolves when no delivery is in flight (including delayed and retried ones). */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private route(event: BusEvent): void {
    this.published.push(event);
    for (const listen of this.listeners) listen(event);
    const type = eventTypeOf(event);
    const fault = this.faults.find((f) => f.remaining > 0 && (f.eventType === type || f.eventType === event['detail-type']) && (f.where?.(event) ?? true));
    const previouslyHeld = this.held;
    this.held = [];
    if (fault) {
      fault.remaining -= 1;
      for (const listen of this.faultListeners) listen(event, fault);
      switch (fault.action) {
        case 'drop':
          break;
        case 'duplicate':
          for (let i = 0; i < (fault.times ?? 2); i += 1) this.deliver(event);
          break;
        case 'delay':
          this.track(this.clock.sleep(fault.delayMs ?? 60_000).then(() => this.deliver(event)));
          break;
        case 'reorder':
          // Held back until the next event has been routed, so the two arrive swapped.
          this.held.push(event);
          break;
      }
    } else {
      this.deliver(event);
    }
    for (const e of previouslyHeld) this.deliver(e);
  }

  /**
   * Hands the event to every matching rule. Delivery is best effort and may come out of order (behaviour
   * event-delivery: up to 30 simulated seconds late, so events overtake each other).
   */
  private deliver(event: BusEvent): void {
    const late = this.behaviours['event-delivery'] === 'late-and-out-of-order';
    for (const rule of this.rules) {
      if (!matchesPattern(event, rule.pattern)) continue;
      this.track(late ? this.clock.sleep(Math.random() * 30_000).then(() => this.invoke(rule, event)) : this.invoke(rule, event));
    }
  }

  /**
   * Delivers to a rule's target as EventBridge does: retried after a failure, with exponential backoff
   * and jitter (the delays AWS does not give: behaviour eventbridge-retry-delay), until the retry
   * policy's attempts or the event's maximum age run out; then the event goes to the dead letters.
   */
  private async invoke(rule: Rule, event: BusEvent): Promise<void> {
    const maxAttempts = 1 + (rule.retryPolicy?.maximumRetryAttempts ?? 185);
    const deadline = this.clock.now() + (rule.retryPolicy?.maximumEventAge ?? 86_400) * 1000;
    const [base, cap] = this.behaviours['eventbridge-retry-delay'] === 'minutes' ? [60_000, 900_000] : [1_000, 60_000];
    let lastError = '';
    for (let attempt = 1; ; attempt += 1) {
      try {
        await rule.target(event);
        this.deliveries.push({ rule: rule.name, eventId: event.id, eventType: eventTypeOf(event), ok: true, attempts: attempt });
        return;
      } catch (err) {
        lastError = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      }
      const delay = Math.random() * Math.min(cap, base * 2 ** (attempt - 1));
      if (attempt >= maxAttempts || this.clock.now() + delay > deadline) {
        this.deliveries.push({ rule: rule.name, eventId: event.id, eventType: eventTypeOf(event), ok: false, attempts: attempt, error: lastError });
        this.deadLetters.push({ rule: rule.name, event, error: lastError });
        return;
      }
      await this.clock.sleep(delay);
    }
  }

  private track(p: Promise<void>): void {
    const tracked = p.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }
}

export function eventTypeOf(event: Pick<BusEvent, 'detail' | 'detail-type'>): string {
  const t = event.detail?.eventType;
  return typeof t === 'string' ? t : event['detail-type'];
}

/**
 * An event's `time` as EventBridge writes it: ISO 8601 to the second, e.g. "2021-07-28T20:20:49Z" in
 * AWS's media pipeline samples (test/fixtures/aws-examples/chime-sdk-media-pipelines); the detail's own
 * `timestamp` keeps the milliseconds.
 */
function eventTime(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z');
}
