import type { EventBus } from '../core/bus';
import { ServiceError, awsJsonError, json, parseJsonBody, type LocalRequest, type LocalResponse, type Service } from '../core/service';

/** EventBridge PutEvents (awsJson 1.1) onto the local default bus. */
export class EventsService implements Service {
  readonly name = 'events';
  readonly signingNames = ['events'] as const;

  constructor(private readonly bus: EventBus) {}

  operation(req: LocalRequest): string | undefined {
    const target = req.headers['x-amz-target'] ?? '';
    return target.startsWith('AWSEvents.') ? target.slice('AWSEvents.'.length) : undefined;
  }

  async handle(operation: string, req: LocalRequest): Promise<LocalResponse> {
    if (operation !== 'PutEvents') throw new ServiceError('UnknownOperationException', 400, `The local cloud does not implement EventBridge ${operation}.`);
    const body = parseJsonBody(req);
    const entries = Array.isArray(body.Entries) ? (body.Entries as Array<Record<string, unknown>>) : [];
    if (entries.length < 1 || entries.length > 10) throw new ServiceError('ValidationException', 400, 'Entries must hold 1 to 10 events.');
    const results = entries.map((entry) => {
      const detailType = entry.DetailType;
      const source = entry.Source;
      let detail: unknown;
      try {
        detail = JSON.parse(String(entry.Detail ?? ''));
      } catch {
        detail = undefined;
      }
      if (typeof source !== 'string' || typeof detailType !== 'string' || !detail || typeof detail !== 'object') {
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Source, DetailType and a JSON object Detail are required.' };
      }
      const [event] = this.bus.put([
        {
          source,
          'detail-type': detailType,
          detail: detail as Record<string, unknown>,
          resources: Array.isArray(entry.Resources) ? (entry.Resources as string[]) : undefined,
          time: typeof entry.Time === 'number' ? new Date(entry.Time * 1000).toISOString() : undefined,
        },
      ]);
      return { EventId: event?.id };
    });
    return json(200, { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results }, { 'content-type': 'application/x-amz-json-1.1' });
  }

  errorResponse(err: ServiceError): LocalResponse {
    return awsJsonError(err);
  }
}
