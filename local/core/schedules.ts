import { randomUUID } from 'node:crypto';
import type { SimClock, SimTimer } from './clock';

/**
 * EventBridge schedule rules on simulated time: serverless.yml's `schedule` events. A rule with a rate
 * expression fires first one period after it is created, then every period ("A rate expression starts
 * when you create the scheduled event rule, and then runs on its defined schedule",
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html), and sends its
 * target the "Scheduled Event" (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html).
 * EventBridge invokes a Lambda target asynchronously, and Lambda retries a function error twice, about
 * one and then two minutes later (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html).
 */
export interface ScheduledRun {
  rule: string;
  /** Simulated time the rule fired. */
  at: number;
  attempts: number;
  ok: boolean;
  result?: unknown;
  errorType?: string;
}

const UNITS: Record<string, number> = { minute: 60_000, minutes: 60_000, hour: 3_600_000, hours: 3_600_000, day: 86_400_000, days: 86_400_000 };

/** The period of `rate(value unit)` in ms, or an error naming the expression and the forms AWS accepts. */
export function ratePeriodMs(expression: string, where: string): number {
  const m = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  const value = Number(m?.[1]);
  // "If the value is equal to 1, then the unit must be singular", and greater than 1 plural (same page).
  if (!m || value < 1 || (value === 1) === m[2]!.endsWith('s')) {
    throw new Error(`${where}: "${expression}" is not a rate expression the local cloud runs; write rate(1 minute), rate(5 minutes), rate(1 hour) ... (value, then a unit: singular for 1, plural above; cron() schedules are not simulated)`);
  }
  return value * UNITS[m[2]!]!;
}

export class Schedules {
  readonly runs: ScheduledRun[] = [];
  readonly listeners = new Set<(run: ScheduledRun) => void>();
  private readonly timers = new Map<string, SimTimer>();

  constructor(
    private readonly clock: SimClock,
    private readonly account: string,
    private readonly region: string,
  ) {}

  /** Creates (or replaces) a rule that invokes `target` every `periodMs` of simulated time. */
  add(rule: string, periodMs: number, target: (event: unknown) => Promise<unknown>): void {
    this.clock.clearTimeout(this.timers.get(rule));
    const arm = () => {
      this.timers.set(rule, this.clock.setTimeout(periodMs, () => {
        arm();
        void this.fire(rule, target);
      }));
    };
    arm();
  }

  /** Resolves with the next completed run of the rule (after its retries, if it failed). */
  next(rule: string): Promise<ScheduledRun> {
    return new Promise((resolve) => {
      const listen = (run: ScheduledRun) => {
        if (run.rule !== rule) return;
        this.listeners.delete(listen);
        resolve(run);
      };
      this.listeners.add(listen);
    });
  }

  /** The event a rule sends its target when it fires now. */
  event(rule: string): Record<string, unknown> {
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: this.account,
      time: new Date(this.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.region,
      resources: [`arn:aws:events:${this.region}:${this.account}:rule/${rule}`],
      detail: {},
    };
  }

  private async fire(rule: string, target: (event: unknown) => Promise<unknown>): Promise<void> {
    const at = this.clock.now();
    const event = this.event(rule);
    const run: ScheduledRun = { rule, at, attempts: 0, ok: false };
    for (const delay of [0, 60_000, 120_000]) {
      if (delay > 0) await this.clock.sleep(delay);
      run.attempts += 1;
      try {
        run.result = await target(event);
        run.ok = true;
        run.errorType = undefined;
        break;
      } catch (err) {
        run.errorType = err instanceof Error ? err.name : String(err);
      }
    }
    this.runs.push(run);
    for (const listen of [...this.listeners]) listen(run);
  }
}
