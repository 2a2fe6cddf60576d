import fc from 'fast-check';
import { s3Arn } from '../../../functions/lib/arns';
import { InvalidRequest } from '../../../functions/lib/errors';
import { fileKey, fileNameProblems, MANIFEST_ARTIFACT } from '../../../functions/lib/file-names';
import { MEDIA_REGIONS } from '../../../functions/lib/regions';
import { clientRequestToken } from '../../../functions/lib/tokens';
import { artifactsConfiguration } from '../../../functions/start-capture/start-capture';
import { buildPlan } from '../../../functions/validate-request/validate';

/**
 * Property: any JSON value is either accepted, and then every request the workflow derives from it is
 * well formed per the Chime API constraints, or rejected with InvalidRequest naming fields. buildPlan is
 * pure (it receives no clients), so a rejection never follows an AWS call.
 */
const EXEC = 'arn:aws:states:us-east-1:123456789012:execution:m:run-1';
const TOKEN = /^[-_a-zA-Z0-9]{2,64}$/;
const ARN = /^arn[/:\-_.a-zA-Z0-9]+$/;

const text = fc.oneof(fc.string(), fc.constantFrom('', 'a', 'aws:x', 'AWS:Y', 'x'.repeat(65), 'ok-bucket', 'Bad_Bucket', 'raw/prefix', '../up', 'us-east-1', 'mars-1'));
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
/** A valid value four times in five, else `other`: each field on its own is mostly valid, so whole requests often are. */
const mostly = <T, U>(valid: fc.Arbitrary<T>, other: fc.Arbitrary<U>) => fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: other });
// Near-valid requests reach the accepting branch often; fc.anything() covers arbitrary shapes.
const nearValid = fc.record(
  {
    meetingId: maybe(mostly(fc.uuid(), text)),
    meeting: maybe(fc.record({ externalMeetingId: maybe(text), mediaRegion: maybe(mostly(fc.constantFrom(...MEDIA_REGIONS), text)) }, { requiredKeys: [] })),
    capture: maybe(
      fc.record(
        {
          bucket: maybe(mostly(fc.stringMatching(/^[a-z0-9][a-z0-9.-]{1,20}[a-z0-9]$/), text)),
          prefix: maybe(mostly(fc.stringMatching(/^[a-z0-9/]{0,40}$/), text)),
          audio: maybe(fc.constantFrom('AudioOnly', 'AudioWithActiveSpeakerVideo', 'AudioWithCompositedVideo', 'Loud')),
          video: maybe(mostly(fc.boolean(), text)),
          compositedVideo: maybe(fc.record({ resolution: maybe(fc.constantFrom('HD', 'FHD', '4K')) }, { requiredKeys: [] })),
        },
        { requiredKeys: [] },
      ),
    ),
    concatenation: maybe(fc.record({ timeoutMinutes: maybe(mostly(fc.integer({ min: -5, max: 1000 }), fc.double())) }, { requiredKeys: [] })),
    keepRawChunks: maybe(mostly(fc.boolean(), text)),
    tags: maybe(fc.dictionary(mostly(fc.stringMatching(/^[a-zA-Z0-9+=._:/-]{1,20}$/), text), mostly(fc.stringMatching(/^[\w .:/=+@-]{0,20}$/), text), { maxKeys: 3 })),
  },
  { requiredKeys: [] },
);

function check(input: unknown): 'accepted' | 'rejected' {
  let plan;
  try {
    plan = buildPlan(input, EXEC, 'run-1', { captureBucket: 'default-bucket', region: 'us-east-1', partition: 'aws' });
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidRequest);
    const problems = (err as InvalidRequest).problems;
    expect(problems.length).toBeGreaterThan(0);
    for (const p of problems) expect(p).toMatch(/^\S.*?: \S/);
    expect(problems.join(' ')).not.toMatch(/: Invalid input$/m);
    return 'rejected';
  }
  // Every derived request is well formed.
  for (const step of ['CreateMeeting', 'StartCapture', 'StartConcatenation']) expect(clientRequestToken(plan.executionId, step)).toMatch(TOKEN);
  expect(plan.mode === 'adopt' ? plan.meetingId : plan.externalMeetingId).toBeDefined();
  if (plan.mode === 'create') {
    expect(plan.externalMeetingId!.length).toBeGreaterThanOrEqual(2);
    expect(plan.externalMeetingId!.length).toBeLessThanOrEqual(64);
    expect(plan.externalMeetingId!.toLowerCase().startsWith('aws:')).toBe(false);
    expect(MEDIA_REGIONS).toContain(plan.mediaRegion);
  }
  for (const arn of [s3Arn('aws', plan.capture.bucket, plan.capture.prefix), s3Arn('aws', plan.concatenation.bucket, plan.concatenation.prefix)]) {
    expect(arn).toMatch(ARN);
    expect(arn.length).toBeLessThanOrEqual(1024);
  }
  const artifacts = artifactsConfiguration(plan);
  expect(['AudioOnly', 'AudioWithActiveSpeakerVideo', 'AudioWithCompositedVideo']).toContain(artifacts.Audio?.MuxType);
  if (artifacts.Audio?.MuxType === 'AudioWithCompositedVideo') expect(artifacts.CompositedVideo?.Layout).toBe('GridView');
  else expect(artifacts.CompositedVideo).toBeUndefined();
  expect(plan.concatenation.maxChecks).toBeGreaterThanOrEqual(1);
  // The same tags go to CreateMeeting and to the pipelines: the meetings model's Tag shape is the narrower.
  expect(plan.tags.length).toBeLessThanOrEqual(50);
  for (const { Key, Value } of plan.tags) {
    expect(Key).toMatch(/^[a-zA-Z+-=._:/]+$/);
    expect(Key.length).toBeLessThanOrEqual(128);
    expect(Value).toMatch(/^[\s\w+-=\.:/@]*$/);
    expect(Value.length).toBeLessThanOrEqual(256);
  }
  return 'accepted';
}

describe('workflow input properties', () => {
  it('accepts or rejects any JSON value with a named error', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => void check(v)), { numRuns: 500 });
  });

  it('derives well-formed API requests from every near-valid request it accepts (and accepts many)', () => {
    const outcomes = { accepted: 0, rejected: 0 };
    fc.assert(
      fc.property(nearValid, (v) => {
        outcomes[check(JSON.parse(JSON.stringify(v)))] += 1;
      }),
      { numRuns: 1000 },
    );
    // About 100 of 1,000 are accepted (86-123 over 15 seeds); 40 is six standard deviations below that.
    expect(outcomes.accepted).toBeGreaterThan(40);
    expect(outcomes.rejected).toBeGreaterThan(50);
  });
});

/**
 * Property: whatever execution name Step Functions allows, every sink ARN the workflow derives from it
 * (the default prefixes `captures/<name>`, `recordings/<name>`) matches the media pipelines model's Arn
 * shape, in any partition and with the longest bucket name, and the name can be read back from it; the
 * default ExternalMeetingId fits the meetings model.
 */
describe('execution names', () => {
  // The media pipelines model's Arn shape (chime-sdk-media-pipelines 2021-07-15, shape Arn).
  const MODEL_ARN = new RegExp('^arn[\\/\\:\\-\\_\\.a-zA-Z0-9]+$');
  const MODEL_ARN_MAX = 1024;
  // Execution names (REFERENCE.md): 1-80 characters, no whitespace, control characters or any of these.
  const FORBIDDEN = new Set('<>{}[]?*"#%\\^|~`$&,;:/');
  const allowed = (c: string) => !FORBIDDEN.has(c) && !/[\s\p{Cc}]/u.test(c);
  const nameChar = fc
    .oneof(fc.integer({ min: 0x21, max: 0x7e }), fc.integer({ min: 0x80, max: 0x10ffff }))
    .filter((cp) => cp < 0xd800 || cp > 0xdfff)
    .map((cp) => String.fromCodePoint(cp))
    .filter(allowed);
  const executionName = fc.array(nameChar, { minLength: 1, maxLength: 80 }).map((cs) => cs.join(''));
  const bucket = `b${'0'.repeat(61)}b`;
  const decode = (segment: string) => segment.replace(/_([0-9A-F]+)_/g, (_m, hex: string) => String.fromCodePoint(parseInt(hex, 16)));

  function derive(name: string) {
    for (const partition of ['aws', 'aws-us-gov']) {
      const region = partition === 'aws' ? 'us-east-1' : 'us-gov-west-1';
      const plan = buildPlan({ meeting: {}, capture: { bucket }, concatenation: { bucket } }, EXEC, name, { region, partition });
      for (const [prefix, root] of [[plan.capture.prefix, 'captures/'], [plan.concatenation.prefix, 'recordings/']] as const) {
        const arn = s3Arn(partition, bucket, prefix);
        expect(arn).toMatch(MODEL_ARN);
        expect(arn.length).toBeLessThanOrEqual(MODEL_ARN_MAX);
        expect(prefix.startsWith(root)).toBe(true);
        expect(decode(prefix.slice(root.length))).toBe(name);
      }
      // 2-64 UTF-16 units, and well formed (no half surrogate pair, which UTF-8 would replace).
      const id = plan.externalMeetingId!;
      expect([id.length >= 2, id.length <= 64, Buffer.from(id, 'utf8').toString('utf8') === id]).toEqual([true, true, true]);
    }
  }

  it('covers the alphabet: ASCII punctuation Step Functions allows and any Unicode character', () => {
    expect([...'+=@!()\'_-.'].every(allowed)).toBe(true);
    derive("a+b=c@d!e(f)g'h_i-j.k");
    derive('Zürich-会議-😀');
    // The longest escapes: 80 characters from the last plane.
    derive(String.fromCodePoint(0x10fffd).repeat(80));
  });

  it('derives sink ARNs that match the model\'s Arn pattern from every execution name', () => {
    fc.assert(fc.property(executionName, (name) => void derive(name)), { numRuns: 2000 });
  });
});

/**
 * Property: whatever template ValidateRequest accepts as output.fileName, and whatever values fill it
 * (any ExternalMeetingId CreateMeeting allows, any execution name, any artifact folder), every key it
 * gives is one S3 holds as named: at most 1024 bytes, only S3's safe key characters, no leading "/",
 * no empty, "." or ".." segment; and a template without {artifact} is refused.
 */
describe('output.fileName', () => {
  const ARTIFACTS = ['audio', 'video', 'content', 'composited-video', 'data-channel', 'transcription-messages', 'meeting-events', MANIFEST_ARTIFACT];
  const piece = fc.constantFrom('{externalMeetingId}', '{startedAt}', '{artifact}', '{executionName}', '{meetingId}', '/', '//', '-', '.', '..', 'a', 'rec', ' ', '?', '{', 'x'.repeat(300));
  const nearValid = fc.array(fc.constantFrom('{externalMeetingId}', '{startedAt}', '{executionName}', '/', '-', '.', 'rec', 'x'.repeat(250)), { maxLength: 8 }).map((p) => `${p.join('')}{artifact}`);
  const template = fc.oneof(nearValid, fc.array(piece, { maxLength: 8 }).map((p) => p.join('')), fc.string({ maxLength: 40 }));

  it('gives S3-safe keys of at most 1024 bytes for every template it accepts', () => {
    const outcomes = { accepted: 0, rejected: 0 };
    fc.assert(
      fc.property(template, fc.string({ minLength: 2, maxLength: 64, unit: 'binary' }), fc.string({ minLength: 1, maxLength: 80, unit: 'grapheme' }), fc.date({ noInvalidDate: true, min: new Date(0), max: new Date('9999-12-31') }), (t, externalMeetingId, executionName, start) => {
        if (fileNameProblems(t).length > 0) {
          outcomes.rejected += 1;
          return;
        }
        outcomes.accepted += 1;
        expect(t).toContain('{artifact}');
        const keys = ARTIFACTS.map((a) => fileKey(t, { externalMeetingId, startedAt: start.toISOString(), executionName }, a, a === MANIFEST_ARTIFACT ? '.json' : '.mp4'));
        expect(new Set(keys).size).toBe(keys.length);
        for (const key of keys) {
          expect(Buffer.byteLength(key)).toBeLessThanOrEqual(1024);
          expect(key).toMatch(/^[A-Za-z0-9!_.*'()-][A-Za-z0-9!_.*'()/-]*$/);
          for (const segment of key.split('/')) expect(['', '.', '..']).not.toContain(segment);
        }
      }),
      { numRuns: 1000 },
    );
    expect(outcomes.accepted).toBeGreaterThan(50);
    expect(outcomes.rejected).toBeGreaterThan(50);
  });
});
