import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { now, nowIso } from './time';

/**
 * One structured logger for every function: a JSON line per entry, in the Powertools Logger's format
 * (level, message, timestamp, service, cold_start, function_*, xray_trace_id, then the entry's keys) and
 * with its settings, so dashboards and operators' habits carry over: POWERTOOLS_SERVICE_NAME,
 * POWERTOOLS_LOG_LEVEL (or LOG_LEVEL), and Lambda's AWS_LAMBDA_LOG_LEVEL, which wins when it is the
 * stricter of the two, as in Powertools.
 *
 * Written here instead of using @aws-lambda-powertools/logger, the team's usual choice: with its commons
 * package it added 21.5 KB to every function bundle and about 2 ms to every cold start (measured against
 * the SDK-only floor: it was the largest part of what each function adds, more than zod), which kept the
 * functions over the 1.15x cold-start budget. What these functions use of it is the line format and
 * the Lambda context keys; what is left out is deliberate: sampling, log buffering, custom formatters
 * and event logging. Handlers log ids and outcomes only, never request bodies (a body can carry a
 * stream key or personal data, and CloudWatch keeps logs): there is no way to log an event, whatever
 * POWERTOOLS_LOGGER_LOG_EVENT says.
 */
export type LogAttributes = Record<string, unknown>;

const LEVELS = { TRACE: 6, DEBUG: 8, INFO: 12, WARN: 16, ERROR: 20, CRITICAL: 24, FATAL: 24, SILENT: 28 } as const;
type LevelName = keyof typeof LEVELS;

function levelOf(value: string | undefined): number | undefined {
  const name = value?.trim().toUpperCase();
  return name && name in LEVELS ? LEVELS[name as LevelName] : undefined;
}

export class Logger {
  private context: LogAttributes = {};
  private coldStart = true;

  constructor(private readonly defaultService: string) {}

  debug(message: string, attributes?: LogAttributes): void {
    this.write('DEBUG', message, attributes);
  }

  info(message: string, attributes?: LogAttributes): void {
    this.write('INFO', message, attributes);
  }

  warn(message: string, attributes?: LogAttributes): void {
    this.write('WARN', message, attributes);
  }

  error(message: string, attributes?: LogAttributes): void {
    this.write('ERROR', message, attributes);
  }

  /**
   * Metrics in CloudWatch's embedded metric format: one JSON line whose `_aws` member declares them, which
   * CloudWatch Logs turns into metrics of namespace METRICS_NAMESPACE with the `Stack` dimension
   * (STACK_NAME), with no API call and no library
   * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
   * Written whatever the log level (a metric is not a message), unless POWERTOOLS_METRICS_DISABLED is
   * "true" (Powertools Metrics' setting: tests and the local console set it). Each value is a count
   * unless `units` says.
   */
  metrics(values: Record<string, number>, extra: { units?: Record<string, MetricUnit>; dimensions?: Record<string, string> } = {}): void {
    if (process.env.POWERTOOLS_METRICS_DISABLED?.trim().toLowerCase() === 'true') return;
    const dimensions = { Stack: process.env.STACK_NAME || this.defaultService, ...extra.dimensions };
    // Each metric by Stack alone, and also by Stack and the extra dimensions when there are any.
    const sets = Object.keys(dimensions).length > 1 ? [['Stack'], Object.keys(dimensions)] : [['Stack']];
    const entry = {
      _aws: {
        Timestamp: now(),
        CloudWatchMetrics: [
          {
            Namespace: METRICS_NAMESPACE,
            Dimensions: sets,
            Metrics: Object.keys(values).map((Name) => ({ Name, Unit: extra.units?.[Name] ?? 'Count' })),
          },
        ],
      },
      ...dimensions,
      ...values,
    };
    process.stdout.write(`${JSON.stringify(entry)}\n`);
  }

  /** The invocation's keys for every entry until `clearContext`; the first invocation is the cold start. */
  addContext(context: Context): void {
    this.context = {
      cold_start: this.coldStart,
      function_arn: context.invokedFunctionArn,
      function_memory_size: context.memoryLimitInMB,
      function_name: context.functionName,
      function_request_id: context.awsRequestId,
    };
    this.coldStart = false;
  }

  clearContext(): void {
    this.context = {};
  }

  /** The level in force, read on every entry so a changed environment applies at once. */
  private threshold(): number {
    const own = levelOf(process.env.POWERTOOLS_LOG_LEVEL) ?? levelOf(process.env.LOG_LEVEL) ?? LEVELS.INFO;
    const lambda = levelOf(process.env.AWS_LAMBDA_LOG_LEVEL);
    return lambda === undefined ? own : Math.max(own, lambda);
  }

  private write(level: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR', message: string, attributes: LogAttributes = {}): void {
    if (LEVELS[level] < this.threshold()) return;
    const trace = /Root=([^;]+)/.exec(process.env._X_AMZN_TRACE_ID ?? '')?.[1];
    const entry = {
      level,
      message,
      timestamp: nowIso(),
      service: process.env.POWERTOOLS_SERVICE_NAME || this.defaultService,
      ...this.context,
      ...(trace ? { xray_trace_id: trace } : {}),
      ...attributes,
    };
    const line = `${JSON.stringify(entry)}\n`;
    (LEVELS[level] >= LEVELS.WARN ? process.stderr : process.stdout).write(line);
  }
}

export const logger = new Logger('chime-recording');

/** The CloudWatch namespace of the workflow's own metrics (resources/monitoring.yml alarms on them). */
export const METRICS_NAMESPACE = 'ChimeRecording';

export type MetricUnit = 'Count' | 'Seconds' | 'Milliseconds';

/** middy middleware: the invocation's context keys on every entry the handler logs, and only its own. */
export function logContext(log: Logger = logger): MiddlewareObj {
  return {
    before: (request) => log.addContext(request.context as Context),
    after: () => log.clearContext(),
    onError: () => log.clearContext(),
  };
}
