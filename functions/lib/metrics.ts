import { logger } from './logger';
import { now } from './time';

/**
 * The workflow's own metrics (namespace ChimeRecording, embedded metric format log lines: see
 * Logger.metrics), which resources/monitoring.yml's dashboard and alarms read. Durations in seconds.
 */

/** StartCapture: the capture is running; how long since the recording claimed its meeting. */
export function captureStarted(claimedAt: string | undefined): void {
  const since = claimedAt ? (now() - Date.parse(claimedAt)) / 1000 : undefined;
  logger.metrics({ CapturesStarted: 1, ...(since !== undefined && since >= 0 ? { TimeToCapture: since } : {}) }, { units: { TimeToCapture: 'Seconds' } });
}

/**
 * Cleanup: the recording's outcome. A failure is counted by its error name, and one that is ServiceBusy
 * because Chime kept throttling (ThrottlingException from Chime SDK Meetings, ThrottledClientException
 * from Media Pipelines, named in the error message toWorkflowError writes: "<step>: <AWS name>: ...")
 * past every retry also as ChimeThrottlingExhausted. A success counts the time from the meeting's end to
 * its finished files.
 */
export function recordingFinished(outcome: { error?: { error: string; cause: string } }, meetingEndedAt: string | undefined): void {
  if (outcome.error) {
    const throttled = outcome.error.error === 'ServiceBusy' && /: (ThrottlingException|ThrottledClientException): /.test(outcome.error.cause);
    logger.metrics({ RecordingsFailed: 1, ...(throttled ? { ChimeThrottlingExhausted: 1 } : {}) }, { dimensions: { ErrorName: outcome.error.error } });
    return;
  }
  const since = meetingEndedAt ? (now() - Date.parse(meetingEndedAt)) / 1000 : undefined;
  logger.metrics({ RecordingsSucceeded: 1, ...(since !== undefined && since >= 0 ? { MeetingEndToFiles: since } : {}) }, { units: { MeetingEndToFiles: 'Seconds' } });
}
