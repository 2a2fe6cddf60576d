import { captureStarted, recordingFinished } from '../../../functions/lib/metrics';
import { setTimeSource } from '../../../functions/lib/time';

/**
 * The workflow's metrics are embedded metric format lines (what CloudWatch Logs turns into metrics in
 * namespace ChimeRecording, dimension Stack): the dashboard and alarms in resources/monitoring.yml read
 * these names, so a line must declare exactly the metrics it carries, with their dimension sets.
 */
let lines: Array<Record<string, unknown>>;
const NOW = Date.parse('2026-12-02T10:00:00.000Z');

beforeEach(() => {
  lines = [];
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
    return true;
  });
  setTimeSource(() => NOW);
  delete process.env.POWERTOOLS_METRICS_DISABLED;
});
afterEach(() => {
  jest.restoreAllMocks();
  setTimeSource(undefined);
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

const declared = (line: Record<string, unknown>) => (line._aws as { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> }).CloudWatchMetrics[0]!;

describe('metrics (embedded metric format)', () => {
  it('writes nothing when POWERTOOLS_METRICS_DISABLED is true', () => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    captureStarted(undefined);
    expect(lines).toEqual([]);
  });

  it('counts a started capture with the time since the meeting was claimed, in seconds', () => {
    captureStarted('2026-12-02T09:59:30.000Z');
    const [line] = lines;
    expect(declared(line!)).toEqual({ Namespace: 'ChimeRecording', Dimensions: [['Stack']], Metrics: [{ Name: 'CapturesStarted', Unit: 'Count' }, { Name: 'TimeToCapture', Unit: 'Seconds' }] });
    expect(line).toMatchObject({ Stack: 'chime-recording-test', CapturesStarted: 1, TimeToCapture: 30, _aws: { Timestamp: NOW } });
  });

  it('counts a failure by its error name, and Chime throttling past the retries on its own', () => {
    recordingFinished({ error: { error: 'ServiceBusy', cause: '{"errorType":"ServiceBusy","errorMessage":"StartCapture: ThrottledClientException: Rate exceeded"}' } }, undefined);
    recordingFinished({ error: { error: 'ServiceBusy', cause: '{"errorType":"ServiceBusy","errorMessage":"CreateMeeting: ServiceUnavailableException: down"}' } }, undefined);
    expect(declared(lines[0]!).Dimensions).toEqual([['Stack'], ['Stack', 'ErrorName']]);
    expect(lines.map((l) => [l.ErrorName, l.RecordingsFailed, l.ChimeThrottlingExhausted])).toEqual([
      ['ServiceBusy', 1, 1],
      ['ServiceBusy', 1, undefined],
    ]);
    expect(declared(lines[1]!).Metrics.map((m) => m.Name)).toEqual(['RecordingsFailed']);
  });

  it('counts a success with the time from the meeting end to the files', () => {
    recordingFinished({}, '2026-12-02T09:58:00.000Z');
    expect(lines[0]).toMatchObject({ RecordingsSucceeded: 1, MeetingEndToFiles: 120 });
    expect(declared(lines[0]!).Metrics).toEqual([{ Name: 'RecordingsSucceeded', Unit: 'Count' }, { Name: 'MeetingEndToFiles', Unit: 'Seconds' }]);
  });
});
