import { buildPlan } from '../../../functions/validate-request/validate';
import { InvalidRequest } from '../../../functions/lib/errors';
import { EXECUTION_ID, plan } from '../../fixtures/plans';
import { fileKey } from '../../../functions/lib/file-names';

const defaults = { captureBucket: 'capture-bucket', region: 'us-east-1', partition: 'aws' };

function problems(input: unknown, d: Parameters<typeof buildPlan>[3] = defaults): string[] {
  try {
    buildPlan(input, EXECUTION_ID, 'rec-1', d);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidRequest);
    expect((err as Error).name).toBe('InvalidRequest');
    return (err as InvalidRequest).problems;
  }
  throw new Error('expected InvalidRequest');
}

describe('ValidateRequest', () => {
  it('plans a new meeting with defaults: composited video, per-execution prefixes, concatenation into the capture bucket', () => {
    const p = buildPlan({ meeting: {} }, EXECUTION_ID, 'rec-1', defaults);
    expect(p).toMatchObject({
      mode: 'create',
      externalMeetingId: 'rec-1',
      mediaRegion: 'us-east-1',
      capture: { bucket: 'capture-bucket', prefix: 'captures/rec-1', audio: 'AudioWithCompositedVideo', video: false, content: false, compositedVideo: { layout: 'GridView', resolution: 'FHD', contentShareLayout: 'PresenterOnly' } },
      concatenation: { bucket: 'capture-bucket', prefix: 'recordings/rec-1', maxChecks: 6 },
      keepRawChunks: true,
      tags: [],
    });
  });

  it('plans adoption of an existing meeting with request buckets and tags', () => {
    const p = plan({ meetingId: '11111111-2222-3333-4444-555555555555', capture: { bucket: 'mine', prefix: '/raw/', audio: 'AudioOnly', video: true }, concatenation: { timeoutMinutes: 5 }, tags: { team: 'a' } });
    expect(p).toMatchObject({ mode: 'adopt', meetingId: '11111111-2222-3333-4444-555555555555', mediaRegion: undefined, capture: { bucket: 'mine', prefix: 'raw', audio: 'AudioOnly', video: true, compositedVideo: undefined }, concatenation: { bucket: 'final-bucket', maxChecks: 1 }, tags: [{ Key: 'team', Value: 'a' }] });
  });

  it('names every bad field and how to fix it', () => {
    const list = problems({ meeting: { externalMeetingId: 'aws:x', mediaRegion: 'mars-1' }, capture: { bucket: 'Bad_Bucket', audio: 'Loud' }, meetingID: 'typo' });
    expect(list.join('\n')).toMatch(/\(input\): unknown field "meetingID"/);
    expect(list.join('\n')).toMatch(/meeting\.externalMeetingId: must not start with "aws:"/);
    expect(list.join('\n')).toMatch(/meeting\.mediaRegion: must be a Chime media region/);
    expect(list.join('\n')).toMatch(/capture\.bucket: must be an S3 bucket name/);
    expect(list.join('\n')).toMatch(/capture\.audio:/);
  });

  it('plans maxDurationMinutes (1-1440 whole minutes) with meeting-end checks that fall on the limit', () => {
    expect(buildPlan({ meeting: {} }, EXECUTION_ID, 'rec-1', defaults)).toMatchObject({ maxDurationMinutes: undefined, meetingEndCheckSeconds: 3600 });
    const checks = (max: number) => buildPlan({ meeting: {}, maxDurationMinutes: max }, EXECUTION_ID, 'rec-1', defaults).meetingEndCheckSeconds!;
    expect(checks(1)).toBe(60);
    expect(checks(60)).toBe(3600);
    expect(checks(90)).toBe(2700);
    expect(checks(1440)).toBe(3600);
    // Equal waits of at most an hour whose sum reaches the limit, at most 24 of them (MAX_MEETING_END_CHECKS is 26).
    for (let max = 1; max <= 1440; max += 1) {
      const seconds = checks(max);
      const waits = Math.ceil((max * 60) / seconds);
      // TimeoutSecondsPath must select a positive integer.
      expect(Number.isInteger(seconds) && seconds >= 1).toBe(true);
      expect(seconds).toBeLessThanOrEqual(3600);
      expect(waits).toBeLessThanOrEqual(24);
      expect(waits * seconds - max * 60).toBeLessThan(waits);
    }
    expect(problems({ meeting: {}, maxDurationMinutes: 0 })).toEqual(['maxDurationMinutes: must be at least 1 (minutes); leave it out to record until the meeting ends']);
    expect(problems({ meeting: {}, maxDurationMinutes: 1441 })).toEqual(['maxDurationMinutes: must be at most 1440 (24 hours, the longest a Chime meeting lasts); leave it out to record until the meeting ends']);
    for (const bad of [1.5, '30', null]) {
      expect(problems({ meeting: {}, maxDurationMinutes: bad })).toEqual(['maxDurationMinutes: must be a whole number of minutes from 1 to 1440 (24 hours, the longest a Chime meeting lasts)']);
    }
  });

  it('asks for exactly one of meetingId and meeting', () => {
    expect(problems({})).toEqual([expect.stringMatching(/^meetingId or meeting:/)]);
    expect(problems({ meetingId: '11111111-2222-3333-4444-555555555555', meeting: {} })).toEqual([expect.stringMatching(/^meetingId and meeting: give one, not both/)]);
  });

  it('requires a capture bucket when the stack has no default', () => {
    expect(problems({ meeting: {} }, { region: 'us-east-1', partition: 'aws' })).toEqual([expect.stringMatching(/^capture\.bucket: .*--param="captureBucket=NAME"/)]);
  });

  it('rejects non-object input', () => {
    expect(problems('hello')[0]).toMatch(/^\(input\): /);
    expect(problems(null)[0]).toMatch(/^\(input\): /);
  });

  it('accepts a media region only in the stack\'s partition (GovCloud ones only from GovCloud)', () => {
    expect(problems({ meeting: { mediaRegion: 'us-gov-west-1' } })).toEqual([
      'meeting.mediaRegion: us-gov-west-1 is not in this stack\'s partition (aws), and a meeting\'s media region must be in its control region\'s partition; choose one of af-south-1, ap-northeast-1, ap-northeast-2, ap-south-1, ap-southeast-1, ap-southeast-2, ca-central-1, eu-central-1, eu-north-1, eu-south-1, eu-west-1, eu-west-2, eu-west-3, sa-east-1, us-east-1, us-east-2, us-west-1, us-west-2',
    ]);
    const gov = { captureBucket: 'capture-bucket', region: 'us-gov-west-1', partition: 'aws-us-gov' };
    expect(buildPlan({ meeting: { mediaRegion: 'us-gov-east-1' } }, EXECUTION_ID, 'rec-1', gov).mediaRegion).toBe('us-gov-east-1');
    expect(problems({ meeting: { mediaRegion: 'eu-west-1' } }, gov)).toEqual([expect.stringMatching(/^meeting\.mediaRegion: eu-west-1 is not in this stack's partition \(aws-us-gov\).*choose one of us-gov-east-1, us-gov-west-1$/)]);
    // Media regions are wider than where the stack runs: eu-west-1 hosts meetings controlled from us-east-1.
    expect(buildPlan({ meeting: { mediaRegion: 'eu-west-1' } }, EXECUTION_ID, 'rec-1', defaults).mediaRegion).toBe('eu-west-1');
  });

  it('checks tags against both models\' Tag shapes, naming each bad tag and the fix', () => {
    const tags = { 'cost center': 'x', team: 'a&b', ['k'.repeat(129)]: 'v', 'aws:owner': 'me', ok: 'v'.repeat(257), 'proj+env=1.2/x:y_z': 'Alice @ HQ 1.0' };
    expect(problems({ meeting: {}, tags })).toEqual([
      'tags["cost center"]: tag keys may contain only letters, digits and + , - . / : ; < = _ (the meetings TagKey pattern ^[a-zA-Z+-=._:/]+$)',
      'tags.team: tag values may contain only letters, digits, whitespace and _ + , - . / : ; < = @ (the meetings TagValue pattern [\\s\\w+-=\\.:/@]*)',
      `tags.${'k'.repeat(129)}: tag keys must be 1-128 characters`,
      'tags["aws:owner"]: tag keys must not start with "aws:" (reserved by AWS)',
      'tags.ok: tag values must be at most 256 characters',
    ]);
    expect(buildPlan({ meeting: {}, tags: { 'proj+env=1.2/x:y_z': 'Alice @ HQ 1.0', empty: '' } }, EXECUTION_ID, 'rec-1', defaults).tags).toEqual([
      { Key: 'proj+env=1.2/x:y_z', Value: 'Alice @ HQ 1.0' },
      { Key: 'empty', Value: '' },
    ]);
    // CreateMeeting takes at most 50 (media pipelines 200), the same tags go to both, and the stack adds its own.
    const many = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`t${i}`, 'v']));
    expect(problems({ meeting: {}, tags: many })).toEqual(['tags: at most 49 tags (CreateMeeting takes at most 50, and the stack adds its own)']);
    expect(problems({ meeting: {}, tags: { 'chime-recording:stack': 'x' } })).toEqual([
      'tags["chime-recording:stack"]: tag key "chime-recording:stack" is the stack\'s own (it marks what the stack created, for the reconciler); choose another key',
    ]);
  });

  it('derives prefixes and the external meeting id safely from any execution name', () => {
    const p = buildPlan({ meeting: {} }, EXECUTION_ID, "rec(1)_Ünïcode+=@!'😀", defaults);
    expect(p.capture.prefix).toBe("captures/rec_28_1_29__5F__DC_n_EF_code_2B__3D__40__21__27__1F600_");
    expect(p.concatenation.prefix).toBe("recordings/rec_28_1_29__5F__DC_n_EF_code_2B__3D__40__21__27__1F600_");
    expect(p.externalMeetingId).toBe("rec(1)_Ünïcode+=@!'😀");
    // 64 UTF-16 units at most, never half a surrogate pair; at least 2 characters.
    expect(buildPlan({ meeting: {} }, EXECUTION_ID, `${'a'.repeat(63)}😀`, defaults).externalMeetingId).toBe('a'.repeat(63));
    expect(buildPlan({ meeting: {} }, EXECUTION_ID, 'x', defaults).externalMeetingId).toBe('recording-x');
  });
});

describe('output.fileName', () => {
  const fileNameProblems = (fileName: unknown) => problems({ meeting: {}, output: { fileName } });
  const accepted = (fileName: string) => buildPlan({ meeting: {}, output: { fileName } }, EXECUTION_ID, 'rec-1', defaults).output?.fileName;
  const SEGMENTS = 'output.fileName: must not contain empty, "." or ".." path segments ("//", "/./", "/../"); write each folder name out';
  const NEEDS_ARTIFACT =
    'output.fileName: must contain {artifact}: every recording has several files (the audio, the meeting events, and any video, content share, data channel or transcription files), which would otherwise get the same name; for example recordings/{externalMeetingId}/{startedAt}-{artifact}';

  it('plans a valid template as given, and nothing without one', () => {
    expect(buildPlan({ meeting: {}, output: { fileName: 'meetings/{externalMeetingId}/{startedAt}-{artifact}' } }, EXECUTION_ID, 'rec-1', defaults).output).toEqual({
      fileName: 'meetings/{externalMeetingId}/{startedAt}-{artifact}',
    });
    expect('output' in JSON.parse(JSON.stringify(buildPlan({ meeting: {} }, EXECUTION_ID, 'rec-1', defaults)))).toBe(false);
  });

  it('refuses an empty template, an unknown placeholder, a leading or trailing "/", and empty, "." or ".." segments, naming the field and the fix', () => {
    const empty = "output.fileName: must not be empty; give a key template such as recordings/{externalMeetingId}/{startedAt}-{artifact}, or leave output.fileName out to keep the concatenation's names";
    expect(fileNameProblems('')).toEqual([empty]);
    expect(fileNameProblems('  ')).toEqual([empty]);
    expect(fileNameProblems('{meetingId}-{artifact}')).toEqual(['output.fileName: unknown placeholder {meetingId}; the placeholders are {externalMeetingId}, {startedAt}, {artifact}, {executionName}']);
    expect(fileNameProblems('/a/{artifact}')).toEqual(['output.fileName: must not start with "/" (a key is relative to the bucket); remove the leading "/"']);
    expect(fileNameProblems('a/{artifact}/')).toEqual(['output.fileName: must end with a file name, not "/" (the extension, .mp4 or .txt, is appended to it); add a name such as {artifact}']);
    expect(fileNameProblems('a/../{artifact}')).toEqual([SEGMENTS]);
    expect(fileNameProblems('a//{artifact}')).toEqual([SEGMENTS]);
    expect(fileNameProblems('./{artifact}')).toEqual([SEGMENTS]);
    expect(fileNameProblems('a/../{artifact}')).toEqual([SEGMENTS]);
  });

  it('refuses characters outside S3\'s safe set, unmatched braces included', () => {
    expect(fileNameProblems('a b?{artifact}')).toEqual([`output.fileName: may contain only letters, digits, / and ! - _ . * ' ( ) (S3's safe key characters) besides placeholders; remove or replace " " "?"`]);
    expect(fileNameProblems('a}{artifact}')).toEqual([`output.fileName: may contain only letters, digits, / and ! - _ . * ' ( ) (S3's safe key characters) besides placeholders; remove or replace "}"`]);
    expect(fileNameProblems('réunion-{artifact}')).toEqual([`output.fileName: may contain only letters, digits, / and ! - _ . * ' ( ) (S3's safe key characters) besides placeholders; remove or replace "é"`]);
    expect(accepted("(it's)/a!b*c_d.e-{artifact}")).toBe("(it's)/a!b*c_d.e-{artifact}");
  });

  it('requires {artifact}, without which a recording\'s files would share one name', () => {
    expect(fileNameProblems('{externalMeetingId}/{startedAt}')).toEqual([NEEDS_ARTIFACT]);
  });

  it('refuses a template whose longest expansion passes S3\'s 1024-byte key limit', () => {
    // 990 + 7 literal bytes, {artifact} at its longest (transcription-messages, 22) and ".json" (5): 1024.
    expect(accepted(`${'abcdefghi/'.repeat(99)}xxxxxxx{artifact}`)).toBe(`${'abcdefghi/'.repeat(99)}xxxxxxx{artifact}`);
    expect(fileNameProblems(`${'abcdefghi/'.repeat(99)}xxxxxxxx{artifact}`)).toEqual([
      "output.fileName: is too long: with the longest values ({externalMeetingId} 64, {startedAt} 20, {artifact} 22, {executionName} 80 bytes) and the extension it can reach 1025 bytes, more than S3's 1024-byte key limit; shorten the text or use fewer placeholders",
    ]);
    // Every placeholder at its longest: 64 + 20 + 22 + 80 + 5 = 191 bytes besides the text.
    expect(accepted(`${'a'.repeat(833)}{externalMeetingId}{startedAt}{artifact}{executionName}`)).toBe(`${'a'.repeat(833)}{externalMeetingId}{startedAt}{artifact}{executionName}`);
    expect(fileNameProblems(`${'a'.repeat(834)}{externalMeetingId}{startedAt}{artifact}{executionName}`)).toEqual([
      "output.fileName: is too long: with the longest values ({externalMeetingId} 64, {startedAt} 20, {artifact} 22, {executionName} 80 bytes) and the extension it can reach 1025 bytes, more than S3's 1024-byte key limit; shorten the text or use fewer placeholders",
    ]);
    expect(fileNameProblems('a'.repeat(1025))).toEqual(['output.fileName: must be at most 1024 characters (S3 keys are at most 1024 bytes)']);
    expect(fileNameProblems(7)).toEqual(['output.fileName: Invalid input: expected string, received number']);
  });

  it('reports every problem of a template at once', () => {
    expect(fileNameProblems('/{x}//a b')).toEqual([
      'output.fileName: unknown placeholder {x}; the placeholders are {externalMeetingId}, {startedAt}, {artifact}, {executionName}',
      `output.fileName: may contain only letters, digits, / and ! - _ . * ' ( ) (S3's safe key characters) besides placeholders; remove or replace " "`,
      'output.fileName: must not start with "/" (a key is relative to the bucket); remove the leading "/"',
      SEGMENTS,
      NEEDS_ARTIFACT,
    ]);
  });
});

describe('fileKey', () => {
  const values = { externalMeetingId: 'Q4 review: all-hands', startedAt: '2026-12-02T12:00:00.123Z', executionName: 'rec+1@team' };

  it('fills each placeholder with key-safe text: {startedAt} to the second with "-" for ":", other characters as "_"', () => {
    expect(fileKey('meetings/{externalMeetingId}/{startedAt}-{artifact}', values, 'composited-video', '.mp4')).toBe('meetings/Q4_review_all-hands/2026-12-02T12-00-00Z-composited-video.mp4');
    expect(fileKey('{executionName}/{artifact}', values, 'recording', '.json')).toBe('rec_1_team/recording.json');
    expect(fileKey('x/{externalMeetingId}-{artifact}', { ...values, externalMeetingId: 'Réunion d’équipe 🎉' }, 'audio', '.mp4')).toBe('x/R_union_d_quipe_-audio.mp4');
  });

  it('never makes a "." or ".." segment from a value, and says unknown-start when no start is known', () => {
    expect(fileKey('a/{externalMeetingId}/{artifact}', { ...values, externalMeetingId: '..' }, 'audio', '.mp4')).toBe('a/__/audio.mp4');
    expect(fileKey('a/.{externalMeetingId}/{artifact}', { ...values, externalMeetingId: '.' }, 'audio', '.mp4')).toBe('a/._/audio.mp4');
    expect(fileKey('{startedAt}-{artifact}', { ...values, startedAt: undefined }, 'audio', '.mp4')).toBe('unknown-start-audio.mp4');
  });
});
